//! The cryptography of the NIC-compatible API (`01` §4, §6), shared by the server and the client.
//!
//! - **Payloads** (`01` §6): `Data = base64(AES-256-ECB-PKCS7(SEK, UTF-8 JSON))`. The server is
//!   lenient in what it reads (base64 with optional padding and embedded ASCII whitespace, and the
//!   "base64 inside the ciphertext" fallback) and strict in what it writes (standard base64 with
//!   padding, no line breaks).
//! - **The session key** (`01` §4.2): `Sek = base64(AES-256-ECB-PKCS7(AppKey, SEK))`, 64
//!   characters.
//! - **Credentials** (`01` §4.1): `Data = base64(RSA-PKCS1-v1.5(auth public key,
//!   base64(UTF-8 JSON)))`.
//!
//! # Padding-oracle resistance of the auth call (`01` §4.2 step 3, D-50)
//!
//! AWS-LC (through aws-lc-rs) performs PKCS#1 v1.5 decryption, but it does not implement implicit
//! rejection: its `rsa_padding_check_PKCS1_type_2` computes validity in constant time and then
//! branches on it (error-queue entries versus a copy of the message), and its own comment tells
//! callers to use raw RSA and do the check themselves. aws-lc-rs exposes no raw RSA operation.
//! So [`decrypt_credentials`] decrypts with the RustCrypto `rsa` crate, whose PKCS#1 v1.5
//! decryption implements the implicit-rejection algorithm of draft-irtf-cfrg-rsa-guidance
//! (§7.1–7.2, the Marvin-attack mitigation also used by OpenSSL 3.2+): a blinded, constant-time
//! (`crypto-bigint`) private-key operation with a CRT fault check; the padding check runs in
//! constant time; a synthetic message and length derived from the private exponent and the
//! ciphertext (`HMAC-SHA256`) are always computed; and the real or synthetic message is selected
//! without branching on padding validity. An invalid padding therefore yields a pseudo-random
//! plaintext that is processed exactly like a valid one, and it fails the next steps (base64,
//! UTF-8, JSON) with the same single [`CredentialsError`]. Only public facts (the length of the
//! ciphertext, whether it is below the modulus) are checked in variable time.
//!
//! Key generation, PEM import/export and client-side encryption use aws-lc-rs.
//!
//! Secret material (AppKey, SEK, private keys, credentials) never appears in `Debug` output or in
//! an error message.

use std::fmt;

use aws_lc_rs::cipher::{
    AES_256, DecryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey,
    UnboundCipherKey,
};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{
    KeySize, Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::traits::Decryptor as _;
use zeroize::Zeroizing;

use crate::json;

/// Length of the AppKey the client generates (`01` §4.1).
pub const APP_KEY_LEN: usize = 32;
/// Length of the session encryption key (`01` §4.2).
pub const SEK_LEN: usize = 32;
/// Length of an `AuthToken` (D-49).
pub const AUTH_TOKEN_LEN: usize = 25;
/// Length of the `Sek` member of the auth response: base64 of 48 bytes.
pub const WRAPPED_SEK_LEN: usize = 64;
/// Default size of the auth RSA key (`keys.auth_rsa_bits`).
pub const DEFAULT_AUTH_RSA_BITS: usize = 2048;
/// AES block size.
const BLOCK: usize = 16;
/// PKCS#1 v1.5 encryption overhead.
const PKCS1_OVERHEAD: usize = 11;
/// The characters of an `AuthToken`.
const TOKEN_ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Standard alphabet; padding optional (but canonical when present); non-zero trailing bits
/// tolerated, as most other decoders do.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// The text is not base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the text is not valid base64")]
pub struct Base64Error;

/// Why AES-encrypted data (a payload or a wrapped SEK) could not be decrypted. The server maps
/// every variant to `5002` (D-52). Messages never contain key or plaintext bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the data is not valid base64")]
    Base64,
    #[error("the ciphertext is not a positive multiple of 16 bytes")]
    Length,
    #[error("the data does not decrypt under this key")]
    Padding,
    #[error("the decrypted key is not 32 bytes")]
    KeyLength,
}

/// The auth `Data` could not be turned into a credentials JSON: `1013` (`01` §4.2 step 3). One
/// value for every cause, by design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("decryption of the credentials failed")]
pub struct CredentialsError;

/// The client-side credentials JSON does not fit in one RSA block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the credentials JSON is {len} bytes; at most {max} fit in one RSA block")]
pub struct CredentialsTooLong {
    pub len: usize,
    pub max: usize,
}

/// Why an auth key could not be generated or loaded. Messages never contain key bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthKeyError {
    #[error("RSA key size {0} is not supported (2048, 3072, 4096 or 8192 bits)")]
    UnsupportedSize(usize),
    #[error("no PEM block labelled {0} was found")]
    MissingPem(&'static str),
    #[error("the PEM block is not valid base64")]
    BadPem,
    #[error("the private key is not a valid RSA PKCS#8 key of 2048 to 8192 bits")]
    BadPrivateKey,
    #[error("the public key is not a valid RSA SubjectPublicKeyInfo of 2048 to 8192 bits")]
    BadPublicKey,
    #[error("RSA key generation failed")]
    Generation,
}

// ---------------------------------------------------------------------------------------------
// Base64
// ---------------------------------------------------------------------------------------------

/// Standard base64 with padding and no line breaks: everything the portal writes.
pub fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Base64 as the spec demands for payloads (`01` §6): standard alphabet, padding optional, ASCII
/// whitespace anywhere ignored.
pub fn decode_base64(text: &[u8]) -> Result<Vec<u8>, Base64Error> {
    if text.iter().any(u8::is_ascii_whitespace) {
        let compact: Vec<u8> = text
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        LENIENT.decode(compact).map_err(|_| Base64Error)
    } else {
        LENIENT.decode(text).map_err(|_| Base64Error)
    }
}

// ---------------------------------------------------------------------------------------------
// AES-256-ECB with PKCS#7
// ---------------------------------------------------------------------------------------------

/// AES-256-ECB with PKCS#7 padding. The output is 1–16 bytes longer than the input.
pub fn aes_ecb_encrypt(key: &[u8; 32], plaintext: &[u8]) -> Vec<u8> {
    let mut buffer = Vec::with_capacity(plaintext.len() + BLOCK);
    buffer.extend_from_slice(plaintext);
    let encrypted = UnboundCipherKey::new(&AES_256, key)
        .and_then(PaddedBlockEncryptingKey::ecb_pkcs7)
        .and_then(|cipher| cipher.encrypt(&mut buffer));
    // AES-256 accepts every 32-byte key, ECB needs no context, and PKCS#7 fits any length: this
    // cannot fail, whatever the input.
    encrypted.expect("AES-256-ECB encryption with a 32-byte key cannot fail");
    buffer
}

/// Reverses [`aes_ecb_encrypt`]. Never panics: wrong lengths and bad padding are errors.
pub fn aes_ecb_decrypt(key: &[u8; 32], ciphertext: &[u8]) -> Result<Vec<u8>, PayloadError> {
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(BLOCK) {
        return Err(PayloadError::Length);
    }
    let cipher = UnboundCipherKey::new(&AES_256, key)
        .and_then(PaddedBlockDecryptingKey::ecb_pkcs7)
        .map_err(|_| PayloadError::Padding)?;
    let mut buffer = ciphertext.to_vec();
    let len = cipher
        .decrypt(&mut buffer, DecryptionContext::None)
        .map_err(|_| PayloadError::Padding)?
        .len();
    buffer.truncate(len);
    Ok(buffer)
}

// ---------------------------------------------------------------------------------------------
// Random values
// ---------------------------------------------------------------------------------------------

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The system CSPRNG failing is not something a request can provoke or recover from.
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random number generator failed");
    bytes
}

/// A fresh random AppKey (client side, `01` §4.1).
pub fn generate_app_key() -> [u8; APP_KEY_LEN] {
    random_bytes()
}

/// A fresh random session encryption key (server side, `01` §4.2).
pub fn generate_sek() -> [u8; SEK_LEN] {
    random_bytes()
}

/// A fresh `AuthToken`: 25 characters from `[A-Za-z0-9]`, uniformly distributed (D-49). Bytes of
/// 248 or more are rejected so that every character is exactly equally likely.
pub fn generate_auth_token() -> String {
    let mut token = String::with_capacity(AUTH_TOKEN_LEN);
    while token.len() < AUTH_TOKEN_LEN {
        for byte in random_bytes::<32>() {
            // 248 = 4 × 62: the largest multiple of the alphabet size that fits in a byte.
            if byte < 248 && token.len() < AUTH_TOKEN_LEN {
                token.push(char::from(TOKEN_ALPHABET[usize::from(byte % 62)]));
            }
        }
    }
    token
}

// ---------------------------------------------------------------------------------------------
// Payloads and the SEK
// ---------------------------------------------------------------------------------------------

/// `Data` of a request or response: `base64(AES-256-ECB-PKCS7(sek, json))`, standard base64 with
/// padding (`01` §6).
pub fn encrypt_payload(sek: &[u8; SEK_LEN], json: &[u8]) -> String {
    encode_base64(&aes_ecb_encrypt(sek, json))
}

/// Decrypts a `Data` member (`01` §6): lenient base64, AES-256-ECB, PKCS#7. Errors map to `5002`.
///
/// The fallback for clients that encrypt `base64(JSON)`: if the plaintext, after trimming ASCII
/// whitespace and a UTF-8 BOM, does not start with `{` or `[`, but is base64 whose decoding
/// (trimmed the same way) parses as a JSON object or array, the decoded bytes are returned.
/// Otherwise the plaintext is returned as decrypted (a leading BOM included; the JSON reader of
/// the caller ignores it), and a plaintext that is not JSON is the caller's `2140`.
pub fn decrypt_payload(sek: &[u8; SEK_LEN], data: &str) -> Result<Vec<u8>, PayloadError> {
    let ciphertext = decode_base64(data.as_bytes()).map_err(|_| PayloadError::Base64)?;
    let plaintext = aes_ecb_decrypt(sek, &ciphertext)?;
    Ok(unwrap_base64_json(plaintext))
}

fn unwrap_base64_json(plaintext: Vec<u8>) -> Vec<u8> {
    let trimmed = trim_json_start(&plaintext);
    if trimmed.is_empty() || matches!(trimmed[0], b'{' | b'[') {
        return plaintext;
    }
    if let Ok(decoded) = decode_base64(trimmed) {
        let inner = trim_json_start(&decoded);
        if matches!(inner.first(), Some(b'{' | b'[')) && json::parse(inner).is_ok() {
            return decoded;
        }
    }
    plaintext
}

/// The bytes without surrounding ASCII whitespace and a UTF-8 BOM (whitespace around the BOM too).
fn trim_json_start(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.trim_ascii();
    bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .map_or(bytes, <[u8]>::trim_ascii)
}

/// The auth response's `Sek`: `base64(AES-256-ECB-PKCS7(app_key, sek))`, 64 characters.
pub fn wrap_sek(app_key: &[u8; APP_KEY_LEN], sek: &[u8; SEK_LEN]) -> String {
    encode_base64(&aes_ecb_encrypt(app_key, sek))
}

/// Client side: the SEK from the auth response's `Sek` and the AppKey just sent.
pub fn unwrap_sek(
    app_key: &[u8; APP_KEY_LEN],
    wrapped: &str,
) -> Result<[u8; SEK_LEN], PayloadError> {
    let ciphertext = decode_base64(wrapped.as_bytes()).map_err(|_| PayloadError::Base64)?;
    let plaintext = Zeroizing::new(aes_ecb_decrypt(app_key, &ciphertext)?);
    plaintext[..]
        .try_into()
        .map_err(|_| PayloadError::KeyLength)
}

// ---------------------------------------------------------------------------------------------
// RSA auth keys
// ---------------------------------------------------------------------------------------------

/// The portals' auth (encryption) private key, shared by both portals (`07`). It decrypts the
/// credentials of the auth call with implicit rejection (see the module documentation).
pub struct AuthPrivateKey {
    pkcs8: Zeroizing<Vec<u8>>,
    decrypting: rsa::pkcs1v15::DecryptingKey,
    public: AuthPublicKey,
}

impl AuthPrivateKey {
    /// Generates a key of `bits` bits (`keys.auth_rsa_bits`: 2048, 3072, 4096 or 8192).
    pub fn generate(bits: usize) -> Result<AuthPrivateKey, AuthKeyError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            other => return Err(AuthKeyError::UnsupportedSize(other)),
        };
        let key = PrivateDecryptingKey::generate(size).map_err(|_| AuthKeyError::Generation)?;
        let der: Pkcs8V1Der<'static> = key.as_der().map_err(|_| AuthKeyError::Generation)?;
        AuthPrivateKey::from_pkcs8_der(der.as_ref())
    }

    /// Loads an unencrypted PKCS#8 DER private key (RSA, 2048 to 8192 bits).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<AuthPrivateKey, AuthKeyError> {
        // aws-lc-rs validates the key (consistency, size) and gives the public key.
        let checked =
            PrivateDecryptingKey::from_pkcs8(der).map_err(|_| AuthKeyError::BadPrivateKey)?;
        let public = AuthPublicKey::from_key(checked.public_key())?;
        let private =
            rsa::RsaPrivateKey::from_pkcs8_der(der).map_err(|_| AuthKeyError::BadPrivateKey)?;
        Ok(AuthPrivateKey {
            pkcs8: Zeroizing::new(der.to_vec()),
            decrypting: rsa::pkcs1v15::DecryptingKey::new(private),
            public,
        })
    }

    /// Loads the first `PRIVATE KEY` (PKCS#8) block of a PEM text.
    pub fn from_pem(pem: &str) -> Result<AuthPrivateKey, AuthKeyError> {
        let der = Zeroizing::new(pem_decode(pem, "PRIVATE KEY")?);
        AuthPrivateKey::from_pkcs8_der(&der)
    }

    /// The key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), for the key file.
    pub fn private_key_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(crate::pem::encode("PRIVATE KEY", &self.pkcs8))
    }

    /// The matching public key, which integrators use to encrypt their credentials.
    pub fn public_key(&self) -> &AuthPublicKey {
        &self.public
    }

    /// Key size in bits.
    pub fn bits(&self) -> usize {
        self.public.bits()
    }

    /// RSA-decrypts one block with PKCS#1 v1.5 and implicit rejection: a ciphertext of the right
    /// length always "decrypts"; a bad padding gives a deterministic pseudo-random message.
    fn decrypt_implicit(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CredentialsError> {
        self.decrypting
            .decrypt(ciphertext)
            .map(Zeroizing::new)
            .map_err(|_| CredentialsError)
    }
}

impl fmt::Debug for AuthPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthPrivateKey")
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

/// The auth public key (`02` E3), used by clients to encrypt their credentials.
#[derive(Clone)]
pub struct AuthPublicKey {
    spki: Vec<u8>,
    key: PublicEncryptingKey,
}

impl AuthPublicKey {
    fn from_key(key: PublicEncryptingKey) -> Result<AuthPublicKey, AuthKeyError> {
        let spki: PublicKeyX509Der<'static> =
            key.as_der().map_err(|_| AuthKeyError::BadPublicKey)?;
        Ok(AuthPublicKey {
            spki: spki.as_ref().to_vec(),
            key,
        })
    }

    /// Loads an X.509 SubjectPublicKeyInfo DER (RSA, 2048 to 8192 bits).
    pub fn from_der(spki: &[u8]) -> Result<AuthPublicKey, AuthKeyError> {
        let key = PublicEncryptingKey::from_der(spki).map_err(|_| AuthKeyError::BadPublicKey)?;
        AuthPublicKey::from_key(key)
    }

    /// Loads the first `PUBLIC KEY` block of a PEM text. A text without any PEM header is read as
    /// the bare base64 of the DER, the form in which NIC hands its key to integrators.
    pub fn from_pem(pem: &str) -> Result<AuthPublicKey, AuthKeyError> {
        let der = if pem.contains("-----BEGIN") {
            pem_decode(pem, "PUBLIC KEY")?
        } else {
            decode_base64(pem.as_bytes()).map_err(|_| AuthKeyError::BadPem)?
        };
        AuthPublicKey::from_der(&der)
    }

    /// The SubjectPublicKeyInfo DER.
    pub fn der(&self) -> &[u8] {
        &self.spki
    }

    /// The key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`), as E3 publishes it.
    pub fn pem(&self) -> String {
        crate::pem::encode("PUBLIC KEY", &self.spki)
    }

    /// Key size in bits.
    pub fn bits(&self) -> usize {
        self.key.key_size_bits()
    }

    /// The longest credentials JSON that [`encrypt_credentials`] accepts with this key: 183 bytes
    /// for RSA-2048 (`01` §4.1).
    pub fn max_credentials_len(&self) -> usize {
        (self.key.key_size_bytes() - PKCS1_OVERHEAD) / 4 * 3
    }
}

impl fmt::Debug for AuthPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthPublicKey")
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

impl PartialEq for AuthPublicKey {
    fn eq(&self, other: &AuthPublicKey) -> bool {
        self.spki == other.spki
    }
}

impl Eq for AuthPublicKey {}

/// Client side (`01` §4.1): `base64(RSA-PKCS1-v1.5-Encrypt(key, base64(json)))`.
pub fn encrypt_credentials(key: &AuthPublicKey, json: &[u8]) -> Result<String, CredentialsTooLong> {
    let max = key.max_credentials_len();
    if json.len() > max {
        return Err(CredentialsTooLong {
            len: json.len(),
            max,
        });
    }
    let inner = Zeroizing::new(STANDARD.encode(json));
    let mut ciphertext = vec![0u8; key.key.key_size_bytes()];
    let encrypted = Pkcs1PublicEncryptingKey::new(key.key.clone()).and_then(|cipher| {
        cipher
            .encrypt(inner.as_bytes(), &mut ciphertext)
            .map(|c| c.len())
    });
    match encrypted {
        Ok(len) => {
            ciphertext.truncate(len);
            Ok(encode_base64(&ciphertext))
        }
        // The length was checked above; nothing else can fail.
        Err(_) => Err(CredentialsTooLong {
            len: json.len(),
            max,
        }),
    }
}

/// Server side (`01` §4.2 step 3): base64-decode `Data`, RSA-decrypt it (PKCS#1 v1.5 with
/// implicit rejection), base64-decode the result and check that it is a UTF-8 JSON object.
/// Returns the JSON bytes. **Any** failure is the one [`CredentialsError`] (`1013`), and a bad
/// RSA padding is indistinguishable from a well-padded message that is not base64 JSON.
pub fn decrypt_credentials(key: &AuthPrivateKey, data: &str) -> Result<Vec<u8>, CredentialsError> {
    let ciphertext = decode_base64(data.as_bytes()).map_err(|_| CredentialsError)?;
    let message = key.decrypt_implicit(&ciphertext)?;
    let json = decode_base64(&message).map_err(|_| CredentialsError)?;
    match json::parse(&json) {
        Ok(json::Value::Object(_)) => Ok(json),
        _ => Err(CredentialsError),
    }
}

// ---------------------------------------------------------------------------------------------
// PEM
// ---------------------------------------------------------------------------------------------

fn pem_decode(pem: &str, label: &'static str) -> Result<Vec<u8>, AuthKeyError> {
    crate::pem::decode(pem, label).map_err(|error| match error {
        crate::pem::PemError::Missing => AuthKeyError::MissingPem(label),
        crate::pem::PemError::Malformed => AuthKeyError::BadPem,
    })
}

#[cfg(test)]
mod tests;
