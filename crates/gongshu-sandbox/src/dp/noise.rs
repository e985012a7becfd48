//! Noise: OpenDP's discrete Gaussian mechanism on integer vectors, under
//! zero-concentrated DP. The samplers are exact and draw from OpenSSL's
//! CSPRNG (opendp's `use-openssl`); no floating-point `random()`.

use opendp::domains::{AtomDomain, VectorDomain};
use opendp::measurements::make_gaussian;
use opendp::measures::ZeroConcentratedDivergence;
use opendp::metrics::L2Distance;

use crate::SandboxError;

fn opendp_error(e: &opendp::error::Error) -> SandboxError {
    SandboxError::Internal(format!("噪声机制出错：{}", e.variant))
}

/// Adds discrete Gaussian noise to `values`, calibrated so that a change
/// of at most `sensitivity` in L2 norm costs at most `rho` (zCDP). Returns
/// the noisy values and the ρ OpenDP's privacy map charges (≤ `rho`).
///
/// # Errors
/// [`SandboxError::Internal`] when the mechanism cannot be built.
pub(crate) fn gaussian(
    values: &[i64],
    sensitivity: i64,
    rho: f64,
) -> Result<(Vec<i64>, f64), SandboxError> {
    if sensitivity <= 0 || rho.is_nan() || rho <= 0.0 {
        return Err(SandboxError::Internal("噪声参数无效".into()));
    }
    // σ = Δ / √(2ρ), a hair wider so float rounding never overspends.
    let scale = sensitivity as f64 / (2.0 * rho).sqrt() * (1.0 + 1e-9);
    let m = make_gaussian::<_, _, ZeroConcentratedDivergence>(
        VectorDomain::new(AtomDomain::<i64>::default()),
        L2Distance::<i64>::default(),
        scale,
        None,
    )
    .map_err(|e| opendp_error(&e))?;
    let spent = m.map(&sensitivity).map_err(|e| opendp_error(&e))?;
    let noisy = m.invoke(&values.to_vec()).map_err(|e| opendp_error(&e))?;
    Ok((noisy, spent))
}
