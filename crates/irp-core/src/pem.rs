//! PEM armour for keys and certificates (RFC 7468), shared by `keys` and `protocol`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// Why a PEM block could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PemError {
    /// No `-----BEGIN <label>-----` … `-----END <label>-----` block.
    Missing,
    /// The block's body is not base64.
    Malformed,
}

/// `der` as a PEM block labelled `label`, 64 characters a line. The intermediate base64 text is
/// wiped afterwards, since `der` may be a private key.
pub fn encode(label: &str, der: &[u8]) -> String {
    let body = Zeroizing::new(STANDARD.encode(der));
    let mut out = String::with_capacity(body.len() + body.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for line in body.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// The contents of the first PEM block labelled `label`; whitespace inside the body is ignored.
pub fn decode(pem: &str, label: &str) -> Result<Vec<u8>, PemError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin).ok_or(PemError::Missing)? + begin.len();
    let length = pem[start..].find(&end).ok_or(PemError::Missing)?;
    let body: Zeroizing<Vec<u8>> = Zeroizing::new(
        pem[start..start + length]
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect(),
    );
    STANDARD
        .decode(body.as_slice())
        .map_err(|_| PemError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let der: Vec<u8> = (0..=255).collect();
        let pem = encode("CERTIFICATE", &der);
        assert!(
            pem.lines()
                .all(|line| line.len() <= 64 || line.starts_with("-----"))
        );
        assert_eq!(decode(&pem, "CERTIFICATE"), Ok(der));
        assert_eq!(decode(&pem, "PRIVATE KEY"), Err(PemError::Missing));
        assert_eq!(
            decode("-----BEGIN X-----\n!!!\n-----END X-----\n", "X"),
            Err(PemError::Malformed)
        );
    }
}
