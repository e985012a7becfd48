//! Configuration: `gongshu.toml` in the data directory (or `--config`),
//! overridden by `GONGSHU_*` environment variables, overridden by flags.
//! Secrets are never part of it: keys live in their own files.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Server configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Data directory (database, audit log, keys).
    pub data_dir: PathBuf,
    /// Listen address.
    pub listen: SocketAddr,
    /// Database URL; default: SQLite in the data directory.
    pub database_url: Option<String>,
    /// Audit log origin (first checkpoint line).
    pub audit_origin: String,
    /// Mark cookies `Secure` (keep on; browsers accept it on 127.0.0.1).
    pub secure_cookies: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            audit_origin: "gongshu.local/audit".into(),
            secure_cookies: true,
        }
    }
}

/// Configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("无法读取配置文件 {path}：{source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("配置文件 {path} 有误：{message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An environment variable is not valid.
    #[error("环境变量 {name} 的值无效")]
    Env {
        /// Variable.
        name: &'static str,
    },
}

impl ServerConfig {
    /// Loads `file` if given (or `<data_dir>/gongshu.toml` if it exists),
    /// then applies `GONGSHU_*` variables from `env`.
    pub fn load(
        file: Option<&Path>,
        data_dir: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let default_file = data_dir.map(|d| d.join("gongshu.toml"));
        let path = file
            .map(Path::to_path_buf)
            .or(default_file.filter(|p| p.exists()));
        let mut cfg = match path {
            Some(p) => {
                let text = std::fs::read_to_string(&p).map_err(|source| ConfigError::Read {
                    path: p.clone(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: p.clone(),
                    message: e.message().to_owned(),
                })?
            }
            None => Self::default(),
        };
        if let Some(d) = data_dir {
            cfg.data_dir = d.to_path_buf();
        }
        if let Some(v) = env("GONGSHU_DATA_DIR") {
            cfg.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("GONGSHU_LISTEN") {
            cfg.listen = v.parse().map_err(|_| ConfigError::Env {
                name: "GONGSHU_LISTEN",
            })?;
        }
        if let Some(v) = env("GONGSHU_DATABASE_URL") {
            cfg.database_url = Some(v);
        }
        if let Some(v) = env("GONGSHU_AUDIT_ORIGIN") {
            cfg.audit_origin = v;
        }
        if let Some(v) = env("GONGSHU_SECURE_COOKIES") {
            cfg.secure_cookies = v.parse().map_err(|_| ConfigError::Env {
                name: "GONGSHU_SECURE_COOKIES",
            })?;
        }
        Ok(cfg)
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("gongshu.db").display()
            )
        })
    }

    /// Directory of the audit ledger.
    pub fn audit_dir(&self) -> PathBuf {
        self.data_dir.join("audit")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_env_then_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("g.toml");
        std::fs::write(
            &f,
            "listen = \"127.0.0.1:9000\"\naudit_origin = \"laiyuan.example/audit\"\n",
        )
        .unwrap();
        let env = |k: &str| (k == "GONGSHU_LISTEN").then(|| "127.0.0.1:9100".to_owned());
        let c = ServerConfig::load(Some(&f), None, &env).unwrap();
        assert_eq!(c.listen.port(), 9100);
        assert_eq!(c.audit_origin, "laiyuan.example/audit");
        std::fs::write(&f, "bogus = 1\n").unwrap();
        assert!(matches!(
            ServerConfig::load(Some(&f), None, &|_| None),
            Err(ConfigError::Parse { .. })
        ));
        let bad = |k: &str| (k == "GONGSHU_LISTEN").then(|| "nope".to_owned());
        assert!(matches!(
            ServerConfig::load(None, None, &bad),
            Err(ConfigError::Env { .. })
        ));
    }
}
