//! `SignedInvoice` and `SignedQRCode` as RS256 JWS compact serialisations (`05` §4, §6).
//!
//! Signing writes the exact bytes NIC writes: a fixed header per key (precomputed in
//! [`SigningKey`]), a two-claim payload built by [`payload`], base64url without padding.
//! Verification ([`Verifier`]) is what E4 and offline verifiers do: pick the certificate by `kid`
//! (falling back to `x5t`), check RS256 over the first two segments exactly as received, then
//! decode the payload. It treats its input as hostile: any string yields a result, never a panic.

use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::json::{self, ObjectWriter, Value, write_str};
use crate::keys::{Certificate, SigningKey};

/// Why a JWS was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    /// Not three base64url segments, or a header or payload that is not the expected JSON.
    #[error("malformed JWS: {0}")]
    Malformed(&'static str),
    /// The header's `alg` is not `RS256`.
    #[error("unsupported JWS algorithm")]
    UnsupportedAlgorithm,
    /// Neither `kid` nor `x5t` names a trusted certificate.
    #[error("no trusted certificate matches the JWS kid or x5t")]
    UnknownKey,
    /// The RS256 signature does not verify with the chosen certificate.
    #[error("invalid signature")]
    BadSignature,
}

/// The JWS payload `{"data":"<data_json as a JSON string>","iss":"<iss>"}` (`05` §4.2).
pub fn payload(data_json: &str, iss: &str) -> String {
    let mut out = String::with_capacity(data_json.len() + data_json.len() / 8 + iss.len() + 24);
    out.push_str("{\"data\":");
    write_str(&mut out, data_json);
    out.push_str(",\"iss\":");
    write_str(&mut out, iss);
    out.push('}');
    out
}

/// The JWS payload [`payload`] builds, with the data written into it directly by `write_data`
/// (an object inside the `data` string: [`ObjectWriter::open_in_string`]) rather than written
/// out and then escaped. `capacity` is a guess at the payload's length.
pub fn payload_of(
    iss: &str,
    capacity: usize,
    write_data: impl FnOnce(&mut ObjectWriter<'_>),
) -> String {
    let mut out = String::with_capacity(capacity);
    out.push_str("{\"data\":\"");
    let mut data = ObjectWriter::open_in_string(&mut out);
    write_data(&mut data);
    data.close();
    out.push_str("\",\"iss\":");
    write_str(&mut out, iss);
    out.push('}');
    out
}

impl SigningKey {
    /// Signs `payload` as `b64(header).b64(payload).b64(RS256 signature)`, base64url without
    /// padding, with the header `{"alg":"RS256","kid":…,"typ":"JWT","x5t":…}` (`05` §4.1).
    ///
    /// # Panics
    ///
    /// Only if aws-lc itself fails to sign with a key it has already accepted (an internal error
    /// such as memory exhaustion); no input can cause it.
    pub fn sign_compact(&self, payload: &[u8]) -> String {
        let modulus_len = self.key_pair.public_modulus_len();
        let mut out = String::with_capacity(
            self.header_b64.len() + 2 + payload.len().div_ceil(3) * 4 + modulus_len.div_ceil(3) * 4,
        );
        out.push_str(&self.header_b64);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut out);
        let mut signature = vec![0u8; modulus_len];
        self.key_pair
            .sign(&RSA_PKCS1_SHA256, &self.rng, out.as_bytes(), &mut signature)
            .expect("aws-lc failed to sign with a loaded RSA key");
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut out);
        out
    }
}

/// The three segments of a compact JWS, as received (base64url text, not decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compact<'a> {
    pub header: &'a str,
    pub payload: &'a str,
    pub signature: &'a str,
}

impl<'a> Compact<'a> {
    /// The segments of `jws`; `None` unless it has exactly three.
    pub fn split(jws: &'a str) -> Option<Compact<'a>> {
        let mut segments = jws.split('.');
        let (header, payload, signature) = (segments.next()?, segments.next()?, segments.next()?);
        if segments.next().is_some() {
            return None;
        }
        Some(Compact {
            header,
            payload,
            signature,
        })
    }

    /// What the signature covers: `header.payload` exactly as received in `jws`, the token
    /// these segments were split from.
    pub fn signing_input(&self, jws: &'a str) -> &'a str {
        &jws[..self.header.len() + 1 + self.payload.len()]
    }
}

/// The `data` claim of a token, without checking its signature: for reading back a token
/// the portal itself signed and stored, never for trusting one from outside ([`Verifier`]).
pub fn unverified_data(jws: &str) -> Option<String> {
    let payload = URL_SAFE_NO_PAD.decode(Compact::split(jws)?.payload).ok()?;
    let document = json::parse(&payload).ok()?;
    document.get("data")?.as_str().map(str::to_owned)
}

/// A verified JWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The `kid` of the certificate that verified the signature (canonical uppercase).
    pub kid: String,
    /// Position of that certificate in the list the [`Verifier`] was built from.
    pub certificate_index: usize,
    /// The payload's `iss`.
    pub iss: String,
    /// The payload's `data`: the inner data JSON text, unescaped.
    pub data: String,
}

/// Verifies JWS tokens against a fixed set of trusted certificates (every certificate either
/// portal has used, current and retired: `05` §6). Public keys were parsed when the
/// certificates were loaded, so verification does no key parsing.
#[derive(Debug, Clone)]
pub struct Verifier {
    certificates: Vec<Certificate>,
}

impl Verifier {
    pub fn new(certificates: Vec<Certificate>) -> Verifier {
        Verifier { certificates }
    }

    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// Checks a compact JWS and returns its claims (`05` §6; E4, `02` §5.3).
    pub fn verify(&self, jws: &str) -> Result<Verified, JwsError> {
        let compact = Compact::split(jws).ok_or(JwsError::Malformed(
            "a compact JWS has exactly three segments",
        ))?;
        let header = decode_segment(compact.header)?;
        let payload = decode_segment(compact.payload)?;
        let signature = decode_segment(compact.signature)?;

        let header = json::parse(&header).map_err(|_| JwsError::Malformed("header is not JSON"))?;
        if !matches!(header, Value::Object(_)) {
            return Err(JwsError::Malformed("header is not a JSON object"));
        }
        match header.get("alg") {
            Some(Value::String(alg)) if alg == "RS256" => {}
            Some(Value::String(_)) => return Err(JwsError::UnsupportedAlgorithm),
            _ => return Err(JwsError::Malformed("header has no string alg")),
        }
        // RFC 7515 §4.1.11: extensions this verifier does not understand must be refused.
        if header.get("crit").is_some() {
            return Err(JwsError::Malformed(
                "critical header extensions are not supported",
            ));
        }
        let index = self.find_certificate(&header)?;
        let certificate = &self.certificates[index];

        certificate
            .public_key()
            .verify_sig(compact.signing_input(jws).as_bytes(), &signature)
            .map_err(|_| JwsError::BadSignature)?;

        let payload =
            json::parse(&payload).map_err(|_| JwsError::Malformed("payload is not JSON"))?;
        let (Some(data), Some(iss)) = (
            payload.get("data").and_then(Value::as_str),
            payload.get("iss").and_then(Value::as_str),
        ) else {
            return Err(JwsError::Malformed("payload needs string data and iss"));
        };
        Ok(Verified {
            kid: certificate.kid().to_owned(),
            certificate_index: index,
            iss: iss.to_owned(),
            data: data.to_owned(),
        })
    }

    /// The certificate named by `kid` (hex, any case), else by `x5t`.
    fn find_certificate(&self, header: &Value<'_>) -> Result<usize, JwsError> {
        let by_kid = header.get("kid").and_then(Value::as_str).and_then(|kid| {
            self.certificates
                .iter()
                .position(|cert| cert.kid().eq_ignore_ascii_case(kid))
        });
        by_kid
            .or_else(|| {
                let x5t = header.get("x5t").and_then(Value::as_str)?;
                self.certificates.iter().position(|cert| cert.x5t() == x5t)
            })
            .ok_or(JwsError::UnknownKey)
    }
}

/// Strict base64url without padding: no `=`, no stray characters, no non-zero trailing bits, so
/// that each token has exactly one spelling.
fn decode_segment(segment: &str) -> Result<Vec<u8>, JwsError> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| JwsError::Malformed("segment is not base64url without padding"))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::keys::testing::{KEY_A, KEY_B};

    const DATA: &str = r#"{"SellerGstin":"37ARZPT4384Q1MT","DocNo":"DOC/001","TotInvVal":12908.0}"#;

    fn verifier(keys: &[&SigningKey]) -> Verifier {
        Verifier::new(keys.iter().map(|k| k.certificate().clone()).collect())
    }

    fn token() -> String {
        KEY_A.sign_compact(payload(DATA, "NIC").as_bytes())
    }

    /// Signs with an arbitrary header, to test what other signers might send.
    fn sign_with_header(key: &SigningKey, header: &str, payload: &str) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let mut signature = vec![0; 256];
        key.key_pair
            .sign(
                &RSA_PKCS1_SHA256,
                &key.rng,
                input.as_bytes(),
                &mut signature,
            )
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    #[test]
    fn payload_is_two_compact_claims_with_minimal_escaping() {
        assert_eq!(
            payload(r#"{"a":"x\"y\\z/é"}"#, "NIC Sandbox"),
            r#"{"data":"{\"a\":\"x\\\"y\\\\z/é\"}","iss":"NIC Sandbox"}"#
        );
        assert_eq!(payload("", "NIC"), r#"{"data":"","iss":"NIC"}"#);
        assert_eq!(payload("a\nb", "NIC"), r#"{"data":"a\nb","iss":"NIC"}"#);
    }

    #[test]
    fn header_bytes_are_exact_and_signature_is_256_bytes() {
        let token = token();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(!token.contains('='));
        let cert = KEY_A.certificate();
        let header = URL_SAFE_NO_PAD.decode(parts[0]).unwrap();
        assert_eq!(
            String::from_utf8(header).unwrap(),
            format!(
                r#"{{"alg":"RS256","kid":"{}","typ":"JWT","x5t":"{}"}}"#,
                cert.kid(),
                cert.x5t()
            )
        );
        assert_eq!(
            URL_SAFE_NO_PAD.decode(parts[1]).unwrap(),
            payload(DATA, "NIC").as_bytes()
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 256);
    }

    #[test]
    fn compact_splits_exactly_three_segments_and_data_reads_back_unverified() {
        let token = token();
        let compact = Compact::split(&token).unwrap();
        assert_eq!(
            format!(
                "{}.{}.{}",
                compact.header, compact.payload, compact.signature
            ),
            token
        );
        assert_eq!(
            compact.signing_input(&token),
            format!("{}.{}", compact.header, compact.payload)
        );
        assert_eq!(Compact::split("a.b"), None);
        assert_eq!(Compact::split("a.b.c.d"), None);
        assert_eq!(unverified_data(&token).as_deref(), Some(DATA));
        assert_eq!(unverified_data("a.b.c"), None);
        let not_json = format!("x.{}.y", URL_SAFE_NO_PAD.encode("[1]"));
        assert_eq!(unverified_data(&not_json), None);
    }

    #[test]
    fn sign_then_verify_round_trips() {
        let verified = verifier(&[&KEY_A]).verify(&token()).unwrap();
        assert_eq!(
            verified,
            Verified {
                kid: KEY_A.certificate().kid().to_owned(),
                certificate_index: 0,
                iss: "NIC".into(),
                data: DATA.into(),
            }
        );
        // PKCS#1 v1.5 is deterministic.
        assert_eq!(token(), token());
    }

    #[test]
    fn key_loaded_from_pem_signs_verifiably() {
        let loaded =
            SigningKey::from_pem(&KEY_A.private_key_pem(), &KEY_A.certificate().pem()).unwrap();
        let token = loaded.sign_compact(b"{\"data\":\"{}\",\"iss\":\"NIC\"}");
        assert_eq!(verifier(&[&KEY_A]).verify(&token).unwrap().data, "{}");
    }

    #[test]
    fn certificate_is_chosen_among_several() {
        let token = token();
        let both = verifier(&[&KEY_B, &KEY_A]);
        assert_eq!(both.verify(&token).unwrap().certificate_index, 1);
        assert_eq!(
            verifier(&[&KEY_B]).verify(&token).unwrap_err(),
            JwsError::UnknownKey
        );
        assert_eq!(
            Verifier::new(Vec::new()).verify(&token).unwrap_err(),
            JwsError::UnknownKey
        );
    }

    #[test]
    fn kid_is_case_insensitive_and_x5t_is_the_fallback() {
        let cert = KEY_A.certificate();
        let claims = payload("{}", "NIC");
        let both = verifier(&[&KEY_B, &KEY_A]);
        let lower = format!(r#"{{"alg":"RS256","kid":"{}"}}"#, cert.kid().to_lowercase());
        let token = sign_with_header(&KEY_A, &lower, &claims);
        assert_eq!(both.verify(&token).unwrap().kid, cert.kid());
        let x5t_only = format!(r#"{{"alg":"RS256","x5t":"{}"}}"#, cert.x5t());
        let token = sign_with_header(&KEY_A, &x5t_only, &claims);
        assert_eq!(both.verify(&token).unwrap().certificate_index, 1);
        let wrong_kid = format!(r#"{{"alg":"RS256","kid":"00","x5t":"{}"}}"#, cert.x5t());
        let token = sign_with_header(&KEY_A, &wrong_kid, &claims);
        assert_eq!(both.verify(&token).unwrap().certificate_index, 1);
        // Named as B but signed by A.
        let as_b = format!(r#"{{"alg":"RS256","kid":"{}"}}"#, KEY_B.certificate().kid());
        let token = sign_with_header(&KEY_A, &as_b, &claims);
        assert_eq!(both.verify(&token).unwrap_err(), JwsError::BadSignature);
    }

    #[test]
    fn headers_and_payloads_are_checked() {
        let kid = KEY_A.certificate().kid();
        let claims = payload("{}", "NIC");
        let v = verifier(&[&KEY_A]);
        let check =
            |header: &str, claims: &str| v.verify(&sign_with_header(&KEY_A, header, claims));
        let none = format!(r#"{{"alg":"none","kid":"{kid}"}}"#);
        assert_eq!(check(&none, &claims), Err(JwsError::UnsupportedAlgorithm));
        let hs = format!(r#"{{"alg":"HS256","kid":"{kid}"}}"#);
        assert_eq!(check(&hs, &claims), Err(JwsError::UnsupportedAlgorithm));
        let no_alg = format!(r#"{{"kid":"{kid}"}}"#);
        assert!(matches!(
            check(&no_alg, &claims),
            Err(JwsError::Malformed(_))
        ));
        let crit = format!(r#"{{"alg":"RS256","kid":"{kid}","crit":["b64"],"b64":false}}"#);
        assert!(matches!(check(&crit, &claims), Err(JwsError::Malformed(_))));
        assert!(matches!(check("[]", &claims), Err(JwsError::Malformed(_))));
        let good = format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#);
        for bad in [r#"{"data":{},"iss":"NIC"}"#, r#"{"data":"{}"}"#, "[1]", "{"] {
            assert!(
                matches!(check(&good, bad), Err(JwsError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        let v = verifier(&[&KEY_A]);
        let token = token();
        for bad in [
            String::new(),
            ".".into(),
            "..".into(),
            "a.b".into(),
            format!("{token}."),
            format!("{token}="),
            format!("{token}.{token}"),
            token.replacen('.', "=.", 1),
            token.replace('-', "+"),
        ] {
            assert!(v.verify(&bad).is_err(), "{bad}");
        }
        let (signing_input, _) = token.rsplit_once('.').unwrap();
        assert_eq!(
            v.verify(&format!("{signing_input}.")).unwrap_err(),
            JwsError::BadSignature
        );
    }

    #[test]
    fn signing_from_many_threads() {
        let v = verifier(&[&KEY_A]);
        std::thread::scope(|scope| {
            for n in 0..4 {
                let v = &v;
                scope.spawn(move || {
                    let data = format!("{{\"n\":{n}}}");
                    let token = KEY_A.sign_compact(payload(&data, "NIC").as_bytes());
                    assert_eq!(v.verify(&token).unwrap().data, data);
                });
            }
        });
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_strings_never_panic(text in "\\PC*") {
            let _ = verifier(&[&KEY_A]).verify(&text);
        }

        #[test]
        fn jws_like_strings_never_panic(text in "[A-Za-z0-9_\\-.=]{0,400}") {
            let _ = verifier(&[&KEY_A]).verify(&text);
        }

        #[test]
        fn any_changed_character_fails(position in any::<prop::sample::Index>(), replacement in any::<char>()) {
            let token = token();
            let index = position.index(token.len());
            let original = char::from(token.as_bytes()[index]);
            prop_assume!(replacement != original);
            let mut mutated = token.clone();
            mutated.replace_range(index..=index, replacement.encode_utf8(&mut [0; 4]));
            prop_assert!(verifier(&[&KEY_A]).verify(&mutated).is_err());
        }

        #[test]
        fn any_changed_base64_character_fails(position in any::<prop::sample::Index>(), pick in any::<prop::sample::Index>()) {
            const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let token = token();
            let index = position.index(token.len());
            let replacement = ALPHABET[pick.index(ALPHABET.len())];
            prop_assume!(replacement != token.as_bytes()[index]);
            let mut bytes = token.into_bytes();
            bytes[index] = replacement;
            let mutated = String::from_utf8(bytes).unwrap();
            prop_assert!(verifier(&[&KEY_A]).verify(&mutated).is_err());
        }

        #[test]
        fn deletions_and_insertions_fail(position in any::<prop::sample::Index>(), insert in any::<char>()) {
            let token = token();
            let index = position.index(token.len());
            let mut deleted = token.clone();
            deleted.remove(index);
            prop_assert!(verifier(&[&KEY_A]).verify(&deleted).is_err());
            let mut inserted = token.clone();
            inserted.insert(index, insert);
            prop_assert!(verifier(&[&KEY_A]).verify(&inserted).is_err());
        }
    }
}
