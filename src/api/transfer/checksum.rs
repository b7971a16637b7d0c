//! The digests APIs publish for files (SHA-256, S3's CRCs and SHA-1, an MD5 ETag), and
//! computing them over bytes as they stream in or over a file on disk.

use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

/// An algorithm an API publishes a file's digest in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha256,
    Sha1,
    /// CRC-32 (ISO-HDLC, as zlib), S3's `CRC32`.
    Crc32,
    /// CRC-32C (Castagnoli), S3's `CRC32C`.
    Crc32c,
    /// CRC-64/NVME, S3's default for new uploads.
    Crc64Nvme,
    /// The MD5 of the bytes as the store publishes it for the whole object (GCS's `md5Hash`,
    /// Azure's `Content-MD5`): a mismatch proves the bytes wrong.
    Md5,
    /// S3's ETag of a single-part upload that is not encrypted with KMS or a customer key: the
    /// MD5 of the bytes. Weak evidence: a store may make its ETags otherwise, so a mismatch is
    /// said beside the saved file rather than throwing the download away.
    EtagMd5,
}

impl Algorithm {
    /// How the transfers panel and errors name it.
    pub fn label(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha1 => "sha1",
            Algorithm::Crc32 => "crc32",
            Algorithm::Crc32c => "crc32c",
            Algorithm::Crc64Nvme => "crc64nvme",
            Algorithm::Md5 => "md5",
            Algorithm::EtagMd5 => "md5 (ETag)",
        }
    }

    /// Whether a mismatch proves the bytes wrong (every published checksum but the ETag).
    pub fn proves(self) -> bool {
        self != Algorithm::EtagMd5
    }
}

/// A digest the API published for a file: its algorithm and the value in lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    pub algorithm: Algorithm,
    pub hex: String,
}

/// The checksum an API publishes for a file, as far as it can be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    None,
    /// A digest this can check before the file is named.
    Sum(Checksum),
    /// Something was published, but nothing this can check (`sha256:ZZZ`, a per-part S3
    /// checksum): said, not silently ignored.
    Unusable(String),
}

/// The digest of a file on disk, lowercase hex (CRCs as their big-endian bytes, as S3
/// publishes them).
pub(super) async fn digest_file(path: &Path, algorithm: Algorithm) -> io::Result<String> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Hasher::new(algorithm);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish())
}

/// One running digest of any [`Algorithm`].
pub enum Hasher {
    Sha256(Sha256),
    Sha1(sha1::Sha1),
    Md5(md5::Md5),
    /// A CRC and its width in bytes.
    Crc(crc_fast::Digest, usize),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Self {
        use crc_fast::CrcAlgorithm;
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha1 => Hasher::Sha1(sha1::Digest::new()),
            Algorithm::EtagMd5 | Algorithm::Md5 => Hasher::Md5(md5::Digest::new()),
            Algorithm::Crc32 => Hasher::Crc(crc_fast::Digest::new(CrcAlgorithm::Crc32IsoHdlc), 4),
            Algorithm::Crc32c => Hasher::Crc(crc_fast::Digest::new(CrcAlgorithm::Crc32Iscsi), 4),
            Algorithm::Crc64Nvme => Hasher::Crc(crc_fast::Digest::new(CrcAlgorithm::Crc64Nvme), 8),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha1(h) => sha1::Digest::update(h, bytes),
            Hasher::Md5(h) => md5::Digest::update(h, bytes),
            Hasher::Crc(h, _) => h.update(bytes),
        }
    }

    /// The digest in lowercase hex.
    pub fn finish(self) -> String {
        match self {
            Hasher::Sha256(h) => hex(&h.finalize()),
            Hasher::Sha1(h) => hex(sha1::Digest::finalize(h).as_slice()),
            Hasher::Md5(h) => hex(md5::Digest::finalize(h).as_slice()),
            Hasher::Crc(h, width) => hex(&h.finalize().to_be_bytes()[8 - width..]),
        }
    }
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_algorithm_gives_the_catalogues_check_value_across_chunks() {
        // The check values of "123456789" (CRC catalogue; FIPS and RFC test vectors).
        let cases = [
            (Algorithm::Crc32, "cbf43926"),
            (Algorithm::Crc32c, "e3069283"),
            (Algorithm::Crc64Nvme, "ae8b14860a799888"),
            (Algorithm::Sha1, "f7c3bc1d808e04732adf679965ccc34ca7ae3441"),
            (Algorithm::EtagMd5, "25f9e794323b453885f5181f1b624d0b"),
            (Algorithm::Md5, "25f9e794323b453885f5181f1b624d0b"),
            (
                Algorithm::Sha256,
                "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
            ),
        ];
        for (algorithm, want) in cases {
            let mut whole = Hasher::new(algorithm);
            whole.update(b"123456789");
            assert_eq!(whole.finish(), want, "{algorithm:?}");
            let mut pieces = Hasher::new(algorithm);
            for piece in [&b"1"[..], b"2345", b"", b"6789"] {
                pieces.update(piece);
            }
            assert_eq!(pieces.finish(), want, "{algorithm:?} in pieces");
        }
    }
}
