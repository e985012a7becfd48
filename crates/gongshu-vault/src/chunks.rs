//! Splits decoded CSV text into chunks that end on record boundaries, so
//! several threads can parse one input. A newline inside a quoted field is
//! not a boundary: the scan tracks RFC 4180 quotes (a doubled quote toggles
//! twice). Each chunk knows the input line it starts on, for error reports.

use std::io::Read;

/// Target chunk size.
pub(crate) const CHUNK_BYTES: usize = 1 << 20;

/// A piece of input holding whole records.
pub(crate) struct Chunk {
    /// Order of the chunk in the input, from 0.
    pub(crate) seq: u64,
    /// Input line (1-based) of the chunk's first byte.
    pub(crate) first_line: u64,
    /// The records' bytes (UTF-8).
    pub(crate) bytes: Vec<u8>,
}

/// Reads chunks from a UTF-8 reader.
pub(crate) struct Chunker<R> {
    input: R,
    pending: Vec<u8>,
    next_seq: u64,
    next_line: u64,
    eof: bool,
}

/// Offset just past the last newline outside quotes, and the newlines up to it.
fn last_boundary(buf: &[u8]) -> Option<(usize, u64)> {
    let mut in_quotes = false;
    let mut found = None;
    let mut lines = 0u64;
    // Jumps between quote and newline bytes (SIMD) instead of visiting each byte.
    for i in memchr::memchr2_iter(b'"', b'\n', buf) {
        if buf.get(i) == Some(&b'"') {
            in_quotes = !in_quotes;
        } else {
            lines += 1;
            if !in_quotes {
                found = Some((i + 1, lines));
            }
        }
    }
    found
}

fn count_lines(buf: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', buf).count() as u64
}

impl<R: Read> Chunker<R> {
    pub(crate) fn new(input: R, first_line: u64) -> Self {
        Self {
            input,
            pending: Vec::new(),
            next_seq: 0,
            next_line: first_line,
            eof: false,
        }
    }

    fn fill(&mut self, want: usize) -> std::io::Result<()> {
        while self.pending.len() < want && !self.eof {
            let start = self.pending.len();
            self.pending.resize(want, 0);
            let n = self
                .input
                .read(self.pending.get_mut(start..).unwrap_or_default())?;
            self.pending.truncate(start + n);
            self.eof = n == 0;
        }
        Ok(())
    }

    /// The next chunk, or `None` at the end of the input.
    pub(crate) fn next_chunk(&mut self) -> std::io::Result<Option<Chunk>> {
        let mut want = CHUNK_BYTES;
        loop {
            self.fill(want)?;
            if self.pending.is_empty() {
                return Ok(None);
            }
            let cut = if self.eof {
                // The rest is the last chunk, with or without a final newline.
                Some((self.pending.len(), count_lines(&self.pending)))
            } else {
                last_boundary(&self.pending)
            };
            if let Some((at, lines)) = cut {
                let rest = self.pending.split_off(at);
                let bytes = std::mem::replace(&mut self.pending, rest);
                let chunk = Chunk {
                    seq: self.next_seq,
                    first_line: self.next_line,
                    bytes,
                };
                self.next_seq += 1;
                self.next_line += lines;
                return Ok(Some(chunk));
            }
            // One record longer than the buffer: read more.
            want = self.pending.len() * 2;
        }
    }

    /// The first record (the header) as its own chunk.
    pub(crate) fn header(&mut self) -> std::io::Result<Vec<u8>> {
        let mut want = 64 * 1024;
        loop {
            self.fill(want)?;
            let mut in_quotes = false;
            let end = self.pending.iter().position(|&b| {
                if b == b'"' {
                    in_quotes = !in_quotes;
                }
                b == b'\n' && !in_quotes
            });
            match end {
                Some(i) => {
                    let rest = self.pending.split_off(i + 1);
                    self.next_line += 1;
                    return Ok(std::mem::replace(&mut self.pending, rest));
                }
                None if self.eof => return Ok(std::mem::take(&mut self.pending)),
                None => want = self.pending.len() * 2,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_on_records_and_count_lines_including_quoted_newlines() {
        let mut text = String::from("a,b\n");
        for i in 0..200_000 {
            if i % 1000 == 0 {
                text.push_str(&format!("{i},\"two\nlines \"\"quoted\"\"\"\n"));
            } else {
                text.push_str(&format!("{i},x\n"));
            }
        }
        let mut c = Chunker::new(text.as_bytes(), 1);
        assert_eq!(c.header().unwrap(), b"a,b\n");
        let mut joined = Vec::new();
        let mut line = 2;
        let mut seq = 0;
        while let Some(ch) = c.next_chunk().unwrap() {
            assert_eq!((ch.seq, ch.first_line), (seq, line));
            assert!(ch.bytes.ends_with(b"\n"));
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(ch.bytes.as_slice());
            assert!(
                r.records().all(|rec| rec.unwrap().len() == 2),
                "whole records only"
            );
            line += ch.bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            joined.extend_from_slice(&ch.bytes);
            seq += 1;
        }
        assert!(seq > 1, "more than one chunk");
        assert_eq!(joined, text.as_bytes()[4..]);
    }

    #[test]
    fn no_final_newline_and_header_only() {
        let mut c = Chunker::new(&b"h\n1\n2"[..], 1);
        assert_eq!(c.header().unwrap(), b"h\n");
        let ch = c.next_chunk().unwrap().unwrap();
        assert_eq!((ch.first_line, ch.bytes.as_slice()), (2, &b"1\n2"[..]));
        assert!(c.next_chunk().unwrap().is_none());
        let mut c = Chunker::new(&b"h"[..], 1);
        assert_eq!(c.header().unwrap(), b"h");
        assert!(c.next_chunk().unwrap().is_none());
    }
}
