//! Text encodings of CSV input: UTF-8, and GB18030 (a superset of GBK and
//! GB2312) which Chinese source systems still emit. Input is decoded to
//! UTF-8 as it streams; malformed bytes are an error naming the byte
//! offset, never replacement characters (no mojibake reaches the store).

use std::fmt;
use std::io::{self, Cursor, Read};
use std::str::FromStr;

use encoding_rs::{DecoderResult, GB18030};

/// Bytes inspected to detect the encoding.
const SNIFF_BYTES: usize = 64 * 1024;
const BUF_BYTES: usize = 64 * 1024;

/// The text encoding of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// Detect: UTF-8 when the first 64 KiB are valid UTF-8, else GB18030.
    #[default]
    Auto,
    /// UTF-8 (a byte-order mark is allowed).
    Utf8,
    /// GB18030 (also reads GBK and GB2312).
    Gb18030,
}

impl Encoding {
    /// Stable code: `auto`, `utf-8`, `gb18030`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Utf8 => "utf-8",
            Self::Gb18030 => "gb18030",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An encoding name that is not supported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("不支持的编码“{0}”，可选：auto、utf-8、gb18030（含 gbk、gb2312）")]
pub struct EncodingNameError(pub String);

impl FromStr for Encoding {
    type Err = EncodingNameError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(Self::Auto),
            "utf-8" | "utf8" => Ok(Self::Utf8),
            "gb18030" | "gbk" | "gb2312" | "cp936" => Ok(Self::Gb18030),
            _ => Err(EncodingNameError(raw.to_owned())),
        }
    }
}

/// The payload of the `io::Error` a [`Gb18030Reader`] returns on bytes
/// that are not GB18030.
#[derive(Debug)]
pub(crate) struct Malformed {
    pub(crate) byte_offset: u64,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed GB18030 input at byte {}", self.byte_offset)
    }
}

impl std::error::Error for Malformed {}

/// Decodes GB18030 bytes from `inner` into UTF-8 bytes.
pub(crate) struct Gb18030Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    in_pos: usize,
    in_len: usize,
    output: Vec<u8>,
    out_pos: usize,
    out_len: usize,
    consumed: u64,
    eof: bool,
    done: bool,
}

impl<R: Read> Gb18030Reader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            decoder: GB18030.new_decoder_without_bom_handling(),
            input: vec![0; BUF_BYTES],
            in_pos: 0,
            in_len: 0,
            // Worst case of one input buffer, so a decode step always progresses.
            output: vec![0; BUF_BYTES * 4 + 16],
            out_pos: 0,
            out_len: 0,
            consumed: 0,
            eof: false,
            done: false,
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        while self.out_pos == self.out_len && !self.done {
            if self.in_pos == self.in_len && !self.eof {
                let n = self.inner.read(&mut self.input)?;
                self.in_pos = 0;
                self.in_len = n;
                self.eof = n == 0;
            }
            let src = self.input.get(self.in_pos..self.in_len).unwrap_or_default();
            let (result, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(src, &mut self.output, self.eof);
            self.in_pos += read;
            self.consumed += read as u64;
            self.out_pos = 0;
            self.out_len = written;
            match result {
                DecoderResult::Malformed(bad, _) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        Malformed {
                            byte_offset: self.consumed.saturating_sub(u64::from(bad)),
                        },
                    ));
                }
                DecoderResult::InputEmpty if self.eof => self.done = true,
                DecoderResult::InputEmpty | DecoderResult::OutputFull => {}
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Gb18030Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.fill()?;
        let avail = self
            .output
            .get(self.out_pos..self.out_len)
            .unwrap_or_default();
        let n = avail.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), avail.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.out_pos += n;
        Ok(n)
    }
}

/// Whether `prefix` (possibly cut mid-character at its end) is UTF-8.
fn looks_utf8(prefix: &[u8], complete: bool) -> bool {
    match std::str::from_utf8(prefix) {
        Ok(_) => true,
        Err(e) => !complete && e.error_len().is_none(),
    }
}

/// Returns a UTF-8 reader over `reader` and the encoding actually used.
pub(crate) fn decode<'a, R: Read + 'a>(
    mut reader: R,
    encoding: Encoding,
) -> io::Result<(Box<dyn Read + 'a>, Encoding)> {
    match encoding {
        Encoding::Utf8 => Ok((Box::new(reader), Encoding::Utf8)),
        Encoding::Gb18030 => Ok((Box::new(Gb18030Reader::new(reader)), Encoding::Gb18030)),
        Encoding::Auto => {
            let mut prefix = Vec::with_capacity(SNIFF_BYTES);
            let complete = (&mut reader)
                .take(SNIFF_BYTES as u64)
                .read_to_end(&mut prefix)?
                < SNIFF_BYTES;
            let whole = Cursor::new(prefix.clone()).chain(reader);
            if looks_utf8(&prefix, complete) {
                Ok((Box::new(whole), Encoding::Utf8))
            } else {
                Ok((Box::new(Gb18030Reader::new(whole)), Encoding::Gb18030))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(r: impl Read, enc: Encoding) -> io::Result<(String, Encoding)> {
        let (mut r, used) = decode(r, enc)?;
        let mut s = String::new();
        r.read_to_string(&mut s)?;
        Ok((s, used))
    }

    #[test]
    fn gb18030_decodes_across_buffer_boundaries() {
        let text = "户号,姓名\n".to_owned() + &"1001,张三丰\n".repeat(30_000);
        let (bytes, _, _) = GB18030.encode(&text);
        assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
        let (out, used) = read_all(bytes.as_ref(), Encoding::Auto).unwrap();
        assert_eq!(used, Encoding::Gb18030);
        assert_eq!(out, text);
        let (out, _) = read_all(text.as_bytes(), Encoding::Auto).unwrap();
        assert_eq!(out, text);
    }

    #[test]
    fn malformed_gb18030_is_an_error_with_offset() {
        let mut bytes = GB18030.encode("名称\n").0.into_owned();
        let at = bytes.len() as u64;
        bytes.extend_from_slice(&[0x81, 0x20]);
        let err = read_all(bytes.as_slice(), Encoding::Gb18030).unwrap_err();
        let m = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<Malformed>())
            .unwrap();
        assert_eq!(m.byte_offset, at);
    }

    #[test]
    fn names_parse() {
        assert_eq!("GBK".parse::<Encoding>().unwrap(), Encoding::Gb18030);
        assert_eq!("UTF8".parse::<Encoding>().unwrap(), Encoding::Utf8);
        assert!("latin1".parse::<Encoding>().is_err());
    }
}
