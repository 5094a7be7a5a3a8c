use std::collections::HashSet;
use std::sync::LazyLock;

use super::*;

/// RSA key generation is slow in debug builds: one key per test binary, plus a second one for the
/// wrong-key tests.
static KEY: LazyLock<AuthPrivateKey> =
    LazyLock::new(|| AuthPrivateKey::generate(DEFAULT_AUTH_RSA_BITS).unwrap());
static OTHER_KEY: LazyLock<AuthPrivateKey> =
    LazyLock::new(|| AuthPrivateKey::generate(DEFAULT_AUTH_RSA_BITS).unwrap());

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

const SEK: [u8; 32] = [7; 32];
const INVOICE: &[u8] = br#"{"Version":"1.1","DocDtls":{"Typ":"INV","No":"A/1","Dt":"01/07/2025"}}"#;

// --- base64 --------------------------------------------------------------------------------------

#[test]
fn base64_accepts_padding_no_padding_and_whitespace() {
    assert_eq!(decode_base64(b"aGVsbG8=").unwrap(), b"hello");
    assert_eq!(decode_base64(b"aGVsbG8").unwrap(), b"hello");
    assert_eq!(decode_base64(b"aGVs\r\nbG8=\n").unwrap(), b"hello");
    assert_eq!(decode_base64(b" a G V s\tb G 8 ").unwrap(), b"hello");
    assert_eq!(decode_base64(b"aGk").unwrap(), b"hi");
    assert_eq!(decode_base64(b"").unwrap(), b"");
    // Non-canonical trailing bits are tolerated, as .NET and Java do.
    assert_eq!(decode_base64(b"aGl=").unwrap(), b"hi");
}

#[test]
fn base64_rejects_other_alphabets_and_garbage() {
    assert_eq!(decode_base64(b"a-_b"), Err(Base64Error));
    assert_eq!(decode_base64(b"aGVsbG8=x"), Err(Base64Error));
    assert_eq!(decode_base64(b"a"), Err(Base64Error));
    assert_eq!(decode_base64(b"aGVsbG8==="), Err(Base64Error));
    assert_eq!(decode_base64("é".as_bytes()), Err(Base64Error));
}

#[test]
fn base64_output_is_standard_with_padding() {
    assert_eq!(encode_base64(b"hi"), "aGk=");
    assert_eq!(encode_base64(&[0xfb, 0xff]), "+/8=");
}

// --- AES -----------------------------------------------------------------------------------------

#[test]
fn aes_256_ecb_known_answer() {
    // FIPS-197 appendix C.3, followed by one full block of PKCS#7 padding.
    let key: [u8; 32] = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
        .try_into()
        .unwrap();
    let ciphertext = aes_ecb_encrypt(&key, &hex("00112233445566778899aabbccddeeff"));
    assert_eq!(ciphertext.len(), 32);
    assert_eq!(ciphertext[..16], hex("8ea2b7ca516745bfeafc49904b496089"));
    assert_eq!(
        aes_ecb_decrypt(&key, &ciphertext).unwrap(),
        hex("00112233445566778899aabbccddeeff")
    );
}

#[test]
fn aes_round_trips_every_length_with_pkcs7_sizes() {
    for len in 0..=64usize {
        let plaintext: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let ciphertext = aes_ecb_encrypt(&SEK, &plaintext);
        assert_eq!(ciphertext.len(), (len / 16 + 1) * 16);
        assert_eq!(aes_ecb_decrypt(&SEK, &ciphertext).unwrap(), plaintext);
    }
}

#[test]
fn aes_rejects_bad_lengths() {
    assert_eq!(aes_ecb_decrypt(&SEK, &[]), Err(PayloadError::Length));
    assert_eq!(aes_ecb_decrypt(&SEK, &[0; 15]), Err(PayloadError::Length));
    assert_eq!(aes_ecb_decrypt(&SEK, &[0; 17]), Err(PayloadError::Length));
}

#[test]
fn payload_round_trip() {
    let data = encrypt_payload(&SEK, INVOICE);
    assert!(!data.contains('\n'));
    assert!(data.ends_with('='));
    assert_eq!(decrypt_payload(&SEK, &data).unwrap(), INVOICE);
}

#[test]
fn payload_accepts_whitespace_and_missing_padding() {
    let data = encrypt_payload(&SEK, INVOICE);
    let unpadded = data.trim_end_matches('=');
    assert_eq!(decrypt_payload(&SEK, unpadded).unwrap(), INVOICE);
    // MIME-style: 76-character lines with CRLF.
    let mime: String = data
        .as_bytes()
        .chunks(76)
        .map(|line| format!("{}\r\n", std::str::from_utf8(line).unwrap()))
        .collect();
    assert_eq!(decrypt_payload(&SEK, &mime).unwrap(), INVOICE);
}

#[test]
fn payload_with_wrong_key_fails() {
    let data = encrypt_payload(&SEK, INVOICE);
    assert_eq!(decrypt_payload(&[8; 32], &data), Err(PayloadError::Padding));
}

#[test]
fn payload_errors_are_classified() {
    assert_eq!(
        decrypt_payload(&SEK, "not base64!"),
        Err(PayloadError::Base64)
    );
    assert_eq!(decrypt_payload(&SEK, ""), Err(PayloadError::Length));
    assert_eq!(decrypt_payload(&SEK, "aGVsbG8="), Err(PayloadError::Length));
}

#[test]
fn truncated_and_garbled_payloads_never_panic() {
    let data = encrypt_payload(&SEK, INVOICE);
    for end in 0..data.len() {
        let _ = decrypt_payload(&SEK, &data[..end]);
    }
    let ciphertext = decode_base64(data.as_bytes()).unwrap();
    for position in 0..ciphertext.len() {
        for bit in [0x01u8, 0x80] {
            let mut garbled = ciphertext.clone();
            garbled[position] ^= bit;
            let _ = decrypt_payload(&SEK, &encode_base64(&garbled));
        }
    }
    // Truncated to whole blocks: the last block's padding is then almost surely invalid.
    let truncated = encode_base64(&ciphertext[..ciphertext.len() - 16]);
    assert!(decrypt_payload(&SEK, &truncated).is_err() || ciphertext.len() == 16);
    // A padding byte of 0 or above 16 is rejected.
    for last in [0u8, 17, 255] {
        let mut block = [b'x'; 16];
        block[15] = last;
        let mut ciphertext = aes_ecb_encrypt(&SEK, &block);
        ciphertext.truncate(16);
        assert_eq!(
            aes_ecb_decrypt(&SEK, &ciphertext),
            Err(PayloadError::Padding)
        );
    }
}

#[test]
fn base64_inside_the_ciphertext_is_unwrapped() {
    let inner = encode_base64(INVOICE);
    let data = encrypt_payload(&SEK, inner.as_bytes());
    assert_eq!(decrypt_payload(&SEK, &data).unwrap(), INVOICE);
    // With whitespace, a BOM and no padding around the inner base64.
    let wrapped = format!("\u{feff} \r\n{}\n", inner.trim_end_matches('='));
    let data = encrypt_payload(&SEK, wrapped.as_bytes());
    assert_eq!(decrypt_payload(&SEK, &data).unwrap(), INVOICE);
    // An array is JSON too.
    let data = encrypt_payload(&SEK, encode_base64(b"[1,2]").as_bytes());
    assert_eq!(decrypt_payload(&SEK, &data).unwrap(), b"[1,2]");
}

#[test]
fn the_fallback_leaves_everything_else_alone() {
    for plaintext in [
        &b"\xEF\xBB\xBF{\"a\":1}"[..],
        b"  [1]",
        b"abcd",     // base64, but of bytes that are not JSON
        b"eyJhIjox", // base64 of `{"a":1` (broken JSON)
        b"\"a string\"",
        b"",
        b"   ",
    ] {
        let data = encrypt_payload(&SEK, plaintext);
        assert_eq!(decrypt_payload(&SEK, &data).unwrap(), plaintext);
    }
}

// --- the SEK -------------------------------------------------------------------------------------

#[test]
fn sek_wraps_to_64_characters_and_back() {
    let app_key = generate_app_key();
    let sek = generate_sek();
    let wrapped = wrap_sek(&app_key, &sek);
    assert_eq!(wrapped.len(), WRAPPED_SEK_LEN);
    assert_eq!(decode_base64(wrapped.as_bytes()).unwrap().len(), 48);
    assert_eq!(unwrap_sek(&app_key, &wrapped).unwrap(), sek);
}

#[test]
fn sek_unwrap_failures() {
    let app_key = [1u8; 32];
    let wrapped = wrap_sek(&app_key, &[2; 32]);
    assert_eq!(unwrap_sek(&[3; 32], &wrapped), Err(PayloadError::Padding));
    assert_eq!(unwrap_sek(&app_key, "%%%"), Err(PayloadError::Base64));
    assert_eq!(
        unwrap_sek(&app_key, &wrapped[..40]),
        Err(PayloadError::Length)
    );
    let short = encode_base64(&aes_ecb_encrypt(&app_key, &[2; 16]));
    assert_eq!(unwrap_sek(&app_key, &short), Err(PayloadError::KeyLength));
}

// --- random values -------------------------------------------------------------------------------

#[test]
fn keys_are_random() {
    assert_ne!(generate_app_key(), generate_app_key());
    assert_ne!(generate_sek(), generate_sek());
    assert_ne!(generate_sek(), [0; 32]);
}

#[test]
fn tokens_have_25_alphanumeric_characters_and_use_the_whole_alphabet() {
    let mut seen = HashSet::new();
    let mut tokens = HashSet::new();
    for _ in 0..400 {
        let token = generate_auth_token();
        assert_eq!(token.len(), AUTH_TOKEN_LEN);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()), "{token}");
        seen.extend(token.bytes());
        tokens.insert(token);
    }
    assert_eq!(tokens.len(), 400);
    // 10,000 draws from 62 characters: each is missed with probability below 1e-70.
    assert_eq!(seen.len(), 62);
}

// --- RSA keys ------------------------------------------------------------------------------------

#[test]
fn private_key_pem_round_trip() {
    let pem = KEY.private_key_pem();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(pem.ends_with("-----END PRIVATE KEY-----\n"));
    let again = AuthPrivateKey::from_pem(&pem).unwrap();
    assert_eq!(again.public_key(), KEY.public_key());
    assert_eq!(again.bits(), 2048);
    // The reloaded key decrypts what was encrypted for the original.
    let data = encrypt_credentials(KEY.public_key(), b"{\"a\":1}").unwrap();
    assert_eq!(decrypt_credentials(&again, &data).unwrap(), b"{\"a\":1}");
}

#[test]
fn public_key_pem_round_trip_and_bare_base64() {
    let public = KEY.public_key();
    let pem = public.pem();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert_eq!(&AuthPublicKey::from_pem(&pem).unwrap(), public);
    assert_eq!(&AuthPublicKey::from_der(public.der()).unwrap(), public);
    let bare = encode_base64(public.der());
    assert_eq!(&AuthPublicKey::from_pem(&bare).unwrap(), public);
    assert_eq!(public.bits(), 2048);
}

#[test]
fn key_loading_errors() {
    assert_eq!(
        AuthPrivateKey::generate(1024).unwrap_err(),
        AuthKeyError::UnsupportedSize(1024)
    );
    assert_eq!(
        AuthPrivateKey::from_pem("nothing here").unwrap_err(),
        AuthKeyError::MissingPem("PRIVATE KEY")
    );
    assert_eq!(
        AuthPrivateKey::from_pem(&KEY.public_key().pem()).unwrap_err(),
        AuthKeyError::MissingPem("PRIVATE KEY")
    );
    assert_eq!(
        AuthPrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----")
            .unwrap_err(),
        AuthKeyError::BadPem
    );
    assert_eq!(
        AuthPrivateKey::from_pkcs8_der(b"\x30\x03\x02\x01\x00").unwrap_err(),
        AuthKeyError::BadPrivateKey
    );
    assert_eq!(
        AuthPublicKey::from_pem(&KEY.private_key_pem()).unwrap_err(),
        AuthKeyError::MissingPem("PUBLIC KEY")
    );
    assert_eq!(
        AuthPublicKey::from_der(b"\x30\x00").unwrap_err(),
        AuthKeyError::BadPublicKey
    );
}

#[test]
fn debug_output_and_errors_hold_no_key_material() {
    let pem = KEY.private_key_pem();
    let body_line = pem.lines().nth(5).unwrap();
    let debug = format!("{:?} {:?}", *KEY, KEY.public_key());
    assert_eq!(
        debug,
        "AuthPrivateKey { bits: 2048, .. } AuthPublicKey { bits: 2048, .. }"
    );
    assert!(!debug.contains(body_line));
    let error = AuthPrivateKey::from_pem(&pem.replace(body_line, "!!")).unwrap_err();
    assert!(!error.to_string().contains(&body_line[..10]));
    assert_eq!(
        CredentialsError.to_string(),
        "decryption of the credentials failed"
    );
}

// --- credentials ---------------------------------------------------------------------------------

fn credentials_json(len: usize) -> Vec<u8> {
    let head = br#"{"UserName":"user","Password":""#;
    let tail = br#"","AppKey":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","ForceRefreshAccessToken":false}"#;
    assert!(
        len > head.len() + tail.len(),
        "at least one password character"
    );
    let mut json = head.to_vec();
    json.resize(len - tail.len(), b'p');
    json.extend_from_slice(tail);
    assert_eq!(json.len(), len);
    json
}

#[test]
fn credentials_round_trip() {
    let json = credentials_json(150);
    let data = encrypt_credentials(KEY.public_key(), &json).unwrap();
    assert_eq!(decode_base64(data.as_bytes()).unwrap().len(), 256);
    assert_eq!(decrypt_credentials(&KEY, &data).unwrap(), json);
    // PKCS#1 v1.5 encryption is randomised.
    assert_ne!(encrypt_credentials(KEY.public_key(), &json).unwrap(), data);
}

#[test]
fn credentials_of_183_bytes_fit_rsa_2048_and_184_do_not() {
    assert_eq!(KEY.public_key().max_credentials_len(), 183);
    let json = credentials_json(183);
    let data = encrypt_credentials(KEY.public_key(), &json).unwrap();
    assert_eq!(decrypt_credentials(&KEY, &data).unwrap(), json);
    assert_eq!(
        encrypt_credentials(KEY.public_key(), &credentials_json(184)),
        Err(CredentialsTooLong { len: 184, max: 183 })
    );
}

#[test]
fn credentials_under_the_wrong_key_fail() {
    let data = encrypt_credentials(OTHER_KEY.public_key(), &credentials_json(130)).unwrap();
    assert_eq!(decrypt_credentials(&KEY, &data), Err(CredentialsError));
}

#[test]
fn every_credentials_failure_is_the_same_error() {
    let json = credentials_json(130);
    let data = encrypt_credentials(KEY.public_key(), &json).unwrap();
    let ciphertext = decode_base64(data.as_bytes()).unwrap();
    let mut cases: Vec<String> = vec![
        String::new(),
        "not base64 at all!".into(),
        encode_base64(b"short"),
        encode_base64(&ciphertext[..255]),
        encode_base64(&[ciphertext.clone(), vec![0]].concat()),
        encode_base64(&[0xff; 256]), // not below the modulus
        encode_base64(&[0; 256]),
        data[..data.len() - 8].to_owned(),
    ];
    for position in [0, 1, 2, 100, 200, 255] {
        let mut garbled = ciphertext.clone();
        garbled[position] ^= 0x40;
        cases.push(encode_base64(&garbled));
    }
    for case in &cases {
        assert_eq!(
            decrypt_credentials(&KEY, case),
            Err(CredentialsError),
            "{case}"
        );
    }
}

#[test]
fn well_padded_messages_that_are_not_base64_json_fail_alike() {
    let public = KEY.public_key();
    // The RSA layer succeeds, a later step fails: not base64, base64 of non-UTF-8, base64 of
    // non-JSON, base64 of JSON that is not an object. The server cannot tell these apart from a
    // bad padding, and neither can the caller.
    for inner in [
        &b"{\"plain\":\"json, not base64\"}"[..],
        b"\xff\xfe\xfd",
        b"not json",
        b"[1,2,3]",
        b"\"text\"",
    ] {
        let mut ciphertext = vec![0u8; 256];
        let len = Pkcs1PublicEncryptingKey::new(public.key.clone())
            .unwrap()
            .encrypt(inner, &mut ciphertext)
            .unwrap()
            .len();
        ciphertext.truncate(len);
        let once_encoded = encode_base64(&ciphertext);
        assert_eq!(
            decrypt_credentials(&KEY, &once_encoded),
            Err(CredentialsError)
        );
        if inner[0] != b'{' {
            let data = encrypt_credentials(public, inner).unwrap();
            assert_eq!(decrypt_credentials(&KEY, &data), Err(CredentialsError));
        }
    }
}

#[test]
fn bad_padding_is_rejected_implicitly() {
    // A random value below the modulus almost never has PKCS#1 v1.5 type-2 padding. AWS-LC would
    // return an error for it; implicit rejection returns a synthetic message instead, the same
    // one every time for the same key and ciphertext, and a different one under another key.
    let mut ciphertext = [0u8; 256];
    aws_lc_rs::rand::fill(&mut ciphertext).unwrap();
    ciphertext[0] = 0x01;
    let first = KEY.decrypt_implicit(&ciphertext).unwrap();
    let second = KEY.decrypt_implicit(&ciphertext).unwrap();
    assert_eq!(first, second);
    assert!(first.len() <= 256 - 11);
    let other = OTHER_KEY.decrypt_implicit(&ciphertext).unwrap();
    assert_ne!(first, other);
    // Wrong lengths are public and rejected outright.
    assert!(KEY.decrypt_implicit(&ciphertext[..255]).is_err());
}

#[test]
fn credentials_accept_whitespace_in_the_outer_base64() {
    let json = credentials_json(140);
    let data = encrypt_credentials(KEY.public_key(), &json).unwrap();
    let spaced: String = data
        .as_bytes()
        .chunks(64)
        .map(|line| format!("{}\n", std::str::from_utf8(line).unwrap()))
        .collect();
    assert_eq!(decrypt_credentials(&KEY, &spaced).unwrap(), json);
    assert_eq!(
        decrypt_credentials(&KEY, data.trim_end_matches('=')).unwrap(),
        json
    );
}
