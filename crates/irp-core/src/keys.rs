//! Signing keys and certificates of the portals (`05` §4.1, §7; `02` §5.2).
//!
//! Each portal signs with its own RSA-2048 key and publishes the matching certificate. Documents
//! name that certificate in their JWS header by `kid` (SHA-1 thumbprint of the DER, 40 uppercase
//! hex characters) and `x5t` (the same 20 bytes, base64url without padding). Everything that can
//! be derived from a key or certificate is derived once, when it is loaded, because signing sits
//! on the hot path of every registration (two RS256 signatures per invoice).
//!
//! Private key material never appears in `Debug` output or error messages.

use std::fmt;

use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Datelike, NaiveDateTime, Timelike};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::json::write_str;

/// Why a key or certificate could not be loaded or created. Messages never contain key bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("no PEM block labelled {0} was found")]
    MissingPem(&'static str),
    #[error("the PEM block is not valid base64")]
    BadPem,
    #[error("the certificate is not valid X.509 DER")]
    BadCertificate,
    #[error("the certificate does not hold an RSA public key of 2048 to 8192 bits")]
    UnsupportedPublicKey,
    #[error("the private key is not a valid RSA PKCS#8 key")]
    BadPrivateKey,
    #[error("the private key does not match the certificate's public key")]
    KeyMismatch,
    #[error("the validity period is invalid: {0}")]
    BadValidity(&'static str),
    #[error("key or certificate generation failed: {0}")]
    Generation(String),
}

/// A signing certificate: the DER text plus everything derived from it, computed once.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    kid: String,
    x5t: String,
    not_before: NaiveDateTime,
    not_after: NaiveDateTime,
    /// RSA modulus and exponent, big-endian without leading zero bytes (as JWK wants them).
    modulus: Vec<u8>,
    exponent: Vec<u8>,
    /// The public key parsed once for RS256 verification.
    public_key: ParsedPublicKey,
}

impl Certificate {
    /// Parses a DER-encoded X.509 certificate holding an RSA key of 2048 to 8192 bits.
    pub fn from_der(der: &[u8]) -> Result<Certificate, KeyError> {
        let (rest, x509) = X509Certificate::from_der(der).map_err(|_| KeyError::BadCertificate)?;
        if !rest.is_empty() {
            return Err(KeyError::BadCertificate);
        }
        let (modulus, exponent) = match x509.public_key().parsed() {
            Ok(PublicKey::RSA(rsa)) => (strip_zeros(rsa.modulus), strip_zeros(rsa.exponent)),
            _ => return Err(KeyError::UnsupportedPublicKey),
        };
        if !(256..=1024).contains(&modulus.len()) || exponent.is_empty() {
            return Err(KeyError::UnsupportedPublicKey);
        }
        let public_key = PublicKeyComponents {
            n: modulus,
            e: exponent,
        }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .map_err(|_| KeyError::UnsupportedPublicKey)?;
        let validity = x509.validity();
        let not_before = utc(validity.not_before.timestamp())?;
        let not_after = utc(validity.not_after.timestamp())?;
        let thumbprint = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der);
        Ok(Certificate {
            der: der.to_vec(),
            kid: kid_from_thumbprint(thumbprint.as_ref()),
            x5t: URL_SAFE_NO_PAD.encode(thumbprint.as_ref()),
            not_before,
            not_after,
            modulus: modulus.to_vec(),
            exponent: exponent.to_vec(),
            public_key,
        })
    }

    /// Parses the first `CERTIFICATE` block of a PEM text.
    pub fn from_pem(pem: &str) -> Result<Certificate, KeyError> {
        Certificate::from_der(&pem_decode(pem, "CERTIFICATE")?)
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate as PEM (64-character lines, trailing newline), as E2 publishes it.
    pub fn pem(&self) -> String {
        crate::pem::encode("CERTIFICATE", &self.der)
    }

    /// SHA-1 thumbprint of the DER as 40 uppercase hex characters: the JWS header `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The same thumbprint as base64url without padding: the JWS header `x5t`.
    pub fn x5t(&self) -> &str {
        &self.x5t
    }

    /// Start of validity, UTC.
    pub fn not_before(&self) -> NaiveDateTime {
        self.not_before
    }

    /// End of validity, UTC.
    pub fn not_after(&self) -> NaiveDateTime {
        self.not_after
    }

    pub(crate) fn public_key(&self) -> &ParsedPublicKey {
        &self.public_key
    }

    /// One JWK (RFC 7517) for this certificate's key, for `/.well-known/jwks.json` (`02` §5.2).
    pub fn jwk_json(&self) -> String {
        let mut out = String::with_capacity(700 + self.der.len() * 4 / 3);
        out.push_str("{\"kty\":\"RSA\",\"n\":");
        write_str(&mut out, &URL_SAFE_NO_PAD.encode(&self.modulus));
        out.push_str(",\"e\":");
        write_str(&mut out, &URL_SAFE_NO_PAD.encode(&self.exponent));
        out.push_str(",\"alg\":\"RS256\",\"use\":\"sig\",\"kid\":");
        write_str(&mut out, &self.kid);
        out.push_str(",\"x5t\":");
        write_str(&mut out, &self.x5t);
        out.push_str(",\"x5c\":[");
        write_str(&mut out, &STANDARD.encode(&self.der));
        out.push_str("]}");
        out
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Certificate) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("kid", &self.kid)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// A JWK Set (`{"keys":[…]}`) holding one key per certificate, in the order given.
pub fn jwks_json(certs: &[Certificate]) -> String {
    let mut out = String::from("{\"keys\":[");
    for (index, cert) in certs.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&cert.jwk_json());
    }
    out.push_str("]}");
    out
}

/// The `kid` for a SHA-1 thumbprint: uppercase hex.
pub fn kid_from_thumbprint(thumbprint: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut kid = String::with_capacity(thumbprint.len() * 2);
    for byte in thumbprint {
        kid.push(char::from(HEX[usize::from(byte >> 4)]));
        kid.push(char::from(HEX[usize::from(byte & 0x0F)]));
    }
    kid
}

/// The `x5t` belonging to a `kid` (hex in either case), or `None` if `kid` is not 40 hex digits.
/// Lets the spec's check pair (`05` §4.1) be tested without NIC's certificate.
pub fn x5t_from_kid(kid: &str) -> Option<String> {
    if kid.len() != 40 {
        return None;
    }
    let mut bytes = [0u8; 20];
    for (byte, pair) in bytes.iter_mut().zip(kid.as_bytes().chunks(2)) {
        let text = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(text, 16).ok()?;
    }
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// The portal's RSA signing key with its certificate.
///
/// The key is parsed once, and the base64url of the JWS header (which only depends on the
/// certificate) is formatted once, so signing does no per-call set-up. `SigningKey` is `Send` and
/// `Sync`: one instance can sign from many threads at once.
pub struct SigningKey {
    pub(crate) key_pair: RsaKeyPair,
    pub(crate) rng: SystemRandom,
    /// base64url of `{"alg":"RS256","kid":"…","typ":"JWT","x5t":"…"}` (`05` §4.1).
    pub(crate) header_b64: String,
    pkcs8: Vec<u8>,
    certificate: Certificate,
}

impl SigningKey {
    /// Creates a new RSA-2048 key and a self-signed certificate for it (SHA256withRSA) valid from
    /// `not_before` to `not_after` (UTC, whole seconds).
    pub fn generate(
        common_name: &str,
        not_before: NaiveDateTime,
        not_after: NaiveDateTime,
    ) -> Result<SigningKey, KeyError> {
        if not_before >= not_after {
            return Err(KeyError::BadValidity("not_before must precede not_after"));
        }
        let key_pair = RsaKeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| KeyError::Generation("RSA key generation failed".into()))?;
        let pkcs8 = key_pair
            .as_der()
            .map_err(|_| KeyError::Generation("PKCS#8 encoding failed".into()))?
            .as_ref()
            .to_vec();
        // rcgen cannot create RSA keys with every backend; hand it ours as PKCS#8.
        let rcgen_key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
            &pkcs8.as_slice().into(),
            &rcgen::PKCS_RSA_SHA256,
        )
        .map_err(|_| KeyError::Generation("rcgen rejected the key".into()))?;
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        set_validity(&mut params, not_before, not_after)?;
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::ContentCommitment,
        ];
        let cert = params
            .self_signed(&rcgen_key)
            .map_err(|error| KeyError::Generation(format!("certificate: {error}")))?;
        let certificate = Certificate::from_der(cert.der())?;
        SigningKey::assemble(key_pair, pkcs8, certificate)
    }

    /// Loads a stored key (PKCS#8 `PRIVATE KEY` PEM) and its certificate (`CERTIFICATE` PEM),
    /// checking that they belong together.
    pub fn from_pem(
        private_key_pkcs8_pem: &str,
        certificate_pem: &str,
    ) -> Result<SigningKey, KeyError> {
        let pkcs8 = pem_decode(private_key_pkcs8_pem, "PRIVATE KEY")?;
        let key_pair = RsaKeyPair::from_pkcs8(&pkcs8).map_err(|_| KeyError::BadPrivateKey)?;
        let certificate = Certificate::from_pem(certificate_pem)?;
        SigningKey::assemble(key_pair, pkcs8, certificate)
    }

    fn assemble(
        key_pair: RsaKeyPair,
        pkcs8: Vec<u8>,
        certificate: Certificate,
    ) -> Result<SigningKey, KeyError> {
        let public = key_pair.public_key();
        if public.modulus().big_endian_without_leading_zero() != certificate.modulus.as_slice()
            || public.exponent().big_endian_without_leading_zero()
                != certificate.exponent.as_slice()
        {
            return Err(KeyError::KeyMismatch);
        }
        let header = format!(
            "{{\"alg\":\"RS256\",\"kid\":\"{}\",\"typ\":\"JWT\",\"x5t\":\"{}\"}}",
            certificate.kid(),
            certificate.x5t()
        );
        Ok(SigningKey {
            key_pair,
            rng: SystemRandom::new(),
            header_b64: URL_SAFE_NO_PAD.encode(header),
            pkcs8,
            certificate,
        })
    }

    /// The private key as PKCS#8 PEM, for the caller to store securely.
    pub fn private_key_pem(&self) -> String {
        crate::pem::encode("PRIVATE KEY", &self.pkcs8)
    }

    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.certificate.kid)
            .finish_non_exhaustive()
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn utc(timestamp: i64) -> Result<NaiveDateTime, KeyError> {
    DateTime::from_timestamp(timestamp, 0)
        .map(|time| time.naive_utc())
        .ok_or(KeyError::BadCertificate)
}

/// Sets rcgen's validity fields. They are `time::OffsetDateTime`, which rcgen builds only at day
/// precision; the closure lets the compiler infer that type so the core needs no `time` dependency.
fn set_validity(
    params: &mut rcgen::CertificateParams,
    not_before: NaiveDateTime,
    not_after: NaiveDateTime,
) -> Result<(), KeyError> {
    let convert = |at: NaiveDateTime| {
        if !(1950..=9999).contains(&at.year()) {
            return Err(KeyError::BadValidity("year outside 1950..=9999"));
        }
        // The narrowing casts cannot truncate: chrono keeps these fields below 61.
        rcgen::date_time_ymd(at.year(), at.month() as u8, at.day() as u8)
            .replace_hour(at.hour() as u8)
            .and_then(|t| t.replace_minute(at.minute() as u8))
            .and_then(|t| t.replace_second(at.second() as u8))
            .map_err(|_| KeyError::BadValidity("time out of range"))
    };
    params.not_before = convert(not_before)?;
    params.not_after = convert(not_after)?;
    Ok(())
}

fn pem_decode(pem: &str, label: &'static str) -> Result<Vec<u8>, KeyError> {
    crate::pem::decode(pem, label).map_err(|error| match error {
        crate::pem::PemError::Missing => KeyError::MissingPem(label),
        crate::pem::PemError::Malformed => KeyError::BadPem,
    })
}

/// Keys shared by the tests of every module: RSA generation is slow, so each test binary makes
/// two keys once.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::LazyLock;

    use chrono::NaiveDate;

    use super::SigningKey;

    fn make(name: &str) -> SigningKey {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let not_before = day(2025, 4, 1).and_hms_opt(5, 30, 7).unwrap();
        let not_after = day(2035, 3, 31).and_hms_opt(18, 29, 59).unwrap();
        SigningKey::generate(name, not_before, not_after).unwrap()
    }

    pub static KEY_A: LazyLock<SigningKey> = LazyLock::new(|| make("IRP test signing A"));
    pub static KEY_B: LazyLock<SigningKey> = LazyLock::new(|| make("IRP test signing B"));
}

#[cfg(test)]
mod tests {
    use super::testing::{KEY_A, KEY_B};
    use super::*;
    use crate::json::{self, Value};

    #[test]
    fn spec_kid_and_x5t_pair() {
        let kid = "EDC57DE1358B300BA9F79340A6696831F3C85047";
        assert_eq!(x5t_from_kid(kid).unwrap(), "7cV94TWLMAup95NApmloMfPIUEc");
        assert_eq!(
            x5t_from_kid(&kid.to_lowercase()).unwrap(),
            "7cV94TWLMAup95NApmloMfPIUEc"
        );
        let bytes = URL_SAFE_NO_PAD
            .decode("7cV94TWLMAup95NApmloMfPIUEc")
            .unwrap();
        assert_eq!(kid_from_thumbprint(&bytes), kid);
        assert_eq!(x5t_from_kid("EDC5"), None);
        assert_eq!(x5t_from_kid(&"G".repeat(40)), None);
        assert_eq!(x5t_from_kid(&"é".repeat(20)), None);
    }

    #[test]
    fn generated_certificate_fields() {
        let cert = KEY_A.certificate();
        let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, cert.der());
        assert_eq!(cert.kid(), kid_from_thumbprint(sha1.as_ref()));
        assert_eq!(cert.kid().len(), 40);
        assert!(
            cert.kid()
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
        );
        assert_eq!(Some(cert.x5t().to_owned()), x5t_from_kid(cert.kid()));
        assert_eq!(cert.not_before().to_string(), "2025-04-01 05:30:07");
        assert_eq!(cert.not_after().to_string(), "2035-03-31 18:29:59");
        assert_ne!(KEY_A.certificate().kid(), KEY_B.certificate().kid());
        assert_eq!(Certificate::from_der(cert.der()).unwrap(), *cert);
    }

    #[test]
    fn pem_round_trips() {
        let cert = KEY_A.certificate();
        let pem = cert.pem();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(pem.ends_with("-----END CERTIFICATE-----\n"));
        assert!(pem.lines().all(|line| line.len() <= 64));
        assert_eq!(Certificate::from_pem(&pem).unwrap(), *cert);

        let key_pem = KEY_A.private_key_pem();
        assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let loaded = SigningKey::from_pem(&key_pem, &pem).unwrap();
        assert_eq!(loaded.certificate(), cert);
        assert_eq!(loaded.header_b64, KEY_A.header_b64);
        // CRLF line endings and surrounding text are tolerated.
        let crlf = format!("comment\r\n{}", key_pem.replace('\n', "\r\n"));
        assert!(SigningKey::from_pem(&crlf, &pem).is_ok());
    }

    #[test]
    fn mismatched_or_broken_inputs_are_rejected() {
        let other_cert = KEY_B.certificate().pem();
        assert_eq!(
            SigningKey::from_pem(&KEY_A.private_key_pem(), &other_cert).unwrap_err(),
            KeyError::KeyMismatch
        );
        assert_eq!(
            SigningKey::from_pem("nothing", &other_cert).unwrap_err(),
            KeyError::MissingPem("PRIVATE KEY")
        );
        let garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert_eq!(
            SigningKey::from_pem(garbage, &other_cert).unwrap_err(),
            KeyError::BadPrivateKey
        );
        let bad_b64 = "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n";
        assert_eq!(
            Certificate::from_pem(bad_b64).unwrap_err(),
            KeyError::BadPem
        );
        assert_eq!(
            Certificate::from_der(b"not a certificate").unwrap_err(),
            KeyError::BadCertificate
        );
        let mut trailing = KEY_A.certificate().der().to_vec();
        trailing.push(0);
        assert_eq!(
            Certificate::from_der(&trailing).unwrap_err(),
            KeyError::BadCertificate
        );
        let at = chrono::NaiveDate::from_ymd_opt(2025, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert!(matches!(
            SigningKey::generate("x", at, at),
            Err(KeyError::BadValidity(_))
        ));
    }

    #[test]
    fn debug_never_shows_key_material() {
        let text = format!("{:?}", *KEY_A);
        assert!(text.contains(KEY_A.certificate().kid()));
        let pem = KEY_A.private_key_pem();
        let body: String = pem.lines().nth(3).unwrap().chars().take(16).collect();
        assert!(!text.contains(&body));
        assert!(text.len() < 120, "{text}");
        let text = format!("{:?}", KEY_A.certificate());
        assert!(text.contains(KEY_A.certificate().kid()));
    }

    #[test]
    fn jwks_lists_each_key() {
        let certs = [KEY_A.certificate().clone(), KEY_B.certificate().clone()];
        let jwks = jwks_json(&certs);
        let value = json::parse(jwks.as_bytes()).unwrap();
        let Some(Value::Array(keys)) = value.get("keys") else {
            panic!("no keys array: {jwks}");
        };
        assert_eq!(keys.len(), 2);
        for (key, cert) in keys.iter().zip(&certs) {
            let field = |name| key.get(name).and_then(Value::as_str).unwrap();
            assert_eq!(field("kty"), "RSA");
            assert_eq!(field("alg"), "RS256");
            assert_eq!(field("use"), "sig");
            assert_eq!(field("kid"), cert.kid());
            assert_eq!(field("x5t"), cert.x5t());
            assert_eq!(field("e"), "AQAB");
            let n = URL_SAFE_NO_PAD.decode(field("n")).unwrap();
            assert_eq!(n.len(), 256);
            assert_ne!(n[0], 0);
            let Some(Value::Array(x5c)) = key.get("x5c") else {
                panic!("no x5c");
            };
            let der = STANDARD.decode(x5c[0].as_str().unwrap()).unwrap();
            assert_eq!(der, cert.der());
        }
        assert_eq!(jwks_json(&[]), "{\"keys\":[]}");
    }

    #[test]
    fn signing_key_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<SigningKey>();
        check::<Certificate>();
    }
}
