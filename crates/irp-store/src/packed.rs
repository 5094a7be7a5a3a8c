//! Signed invoices at rest. A `SignedInvoice` is a compact JWS whose middle segment is the
//! invoice JSON in base64url, about 12 KB for a 25-item invoice; what is written is its
//! payload decoded and zstd-compressed, about a sixth of that, which cuts the bytes every group
//! commit writes and fsyncs (`docs/PERFORMANCE.md`). Reading rebuilds the token byte for byte:
//! a payload is packed only when its base64url is canonical (no padding, no stray bits), so
//! encoding the decoded bytes again gives the same text. Anything else is kept as text.
//!
//! Layout, version 1: `0x01`, the header segment's length (u16, little-endian) and text, the
//! signature segment's length (u16) and text, then one zstd frame of the decoded payload.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const VERSION: u8 = 1;
/// The largest payload [`unpack`] will rebuild: far above any invoice (request bodies are at
/// most 8 MiB), and low enough that a damaged size field cannot ask for an absurd allocation.
const MAX_PAYLOAD: u64 = 64 << 20;
/// zstd's fastest level: the payload's repeated item structure compresses well at any level,
/// and this runs on the commit path.
const LEVEL: i32 = 1;

thread_local! {
    /// One compression context per thread, reused: creating one costs more than a payload.
    /// The frame carries a checksum, so damaged bytes are refused rather than misread.
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        std::cell::RefCell::new(zstd::bulk::Compressor::new(LEVEL).ok().and_then(|mut c| {
            c.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true)).ok()?;
            Some(c)
        }));
}

/// A `SignedInvoice` packed before it reaches the store: the portal packs on its signing
/// threads, where the payload is at hand, rather than on the group commit's path, which would
/// first have to decode it again from base64url.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedSignedInvoice(Vec<u8>);

impl PackedSignedInvoice {
    /// Packs `jws` given `payload`, the bytes its middle segment encodes; `None` when the token
    /// would not rebuild exactly (by the rules of the private `pack`). The caller vouches that
    /// `payload` is that segment decoded: only its length is checked here (debug builds check
    /// every byte).
    pub fn of(jws: &str, payload: &[u8]) -> Option<PackedSignedInvoice> {
        let (header, encoded, signature) = segments(jws)?;
        if base64::encoded_len(payload.len(), false) != Some(encoded.len()) {
            return None;
        }
        debug_assert_eq!(URL_SAFE_NO_PAD.encode(payload), encoded);
        pack_parts(header, payload, signature).map(PackedSignedInvoice)
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether these bytes are `jws` packed: the same header and signature segments, and a
    /// payload of the length its middle segment encodes. The signature stands for the payload
    /// (another payload would not carry it), so a caller who packed another token than the one
    /// it stores is caught here for the cost of comparing a few hundred bytes, not by a reader
    /// getting a token its client never saw.
    pub(crate) fn packs(&self, jws: &str) -> bool {
        let (
            Some((header, encoded, signature)),
            Some((packed_header, packed_signature, compressed)),
        ) = (segments(jws), parts(&self.0))
        else {
            return false;
        };
        let payload_len = zstd::zstd_safe::get_frame_content_size(compressed)
            .ok()
            .flatten()
            .and_then(|size| usize::try_from(size).ok());
        packed_header == header
            && packed_signature == signature
            && payload_len.and_then(|len| base64::encoded_len(len, false)) == Some(encoded.len())
    }
}

/// The packed form of a compact JWS, or `None` when `jws` is not one that rebuilds exactly.
pub(crate) fn pack(jws: &str) -> Option<Vec<u8>> {
    let (header, payload, signature) = segments(jws)?;
    let decoded = URL_SAFE_NO_PAD.decode(payload).ok()?;
    pack_parts(header, &decoded, signature)
}

/// The header, payload and signature segments of a compact JWS.
fn segments(jws: &str) -> Option<(&str, &str, &str)> {
    let compact = irp_core::jws::Compact::split(jws)?;
    Some((compact.header, compact.payload, compact.signature))
}

fn pack_parts(header: &str, payload: &[u8], signature: &str) -> Option<Vec<u8>> {
    let header_len = u16::try_from(header.len()).ok()?;
    let signature_len = u16::try_from(signature.len()).ok()?;
    let compressed =
        COMPRESSOR.with_borrow_mut(|compressor| compressor.as_mut()?.compress(payload).ok())?;
    let mut out = Vec::with_capacity(5 + header.len() + signature.len() + compressed.len());
    out.push(VERSION);
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&signature_len.to_le_bytes());
    out.extend_from_slice(signature.as_bytes());
    out.extend_from_slice(&compressed);
    Some(out)
}

/// The JWS a [`pack`] result was made from; `None` when the bytes are not such a result.
pub(crate) fn unpack(packed: &[u8]) -> Option<String> {
    let (header, signature, compressed) = parts(packed)?;
    let size = zstd::zstd_safe::get_frame_content_size(compressed).ok()??;
    if size > MAX_PAYLOAD {
        return None;
    }
    let payload = zstd::bulk::decompress(compressed, usize::try_from(size).ok()?).ok()?;
    let mut jws = String::with_capacity(header.len() + payload.len() * 4 / 3 + signature.len() + 4);
    jws.push_str(header);
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(&payload, &mut jws);
    jws.push('.');
    jws.push_str(signature);
    Some(jws)
}

/// The header, the signature and the zstd frame of packed bytes of this version.
fn parts(packed: &[u8]) -> Option<(&str, &str, &[u8])> {
    let (&version, rest) = packed.split_first()?;
    if version != VERSION {
        return None;
    }
    let (header, rest) = take_segment(rest)?;
    let (signature, compressed) = take_segment(rest)?;
    Some((header, signature, compressed))
}

/// A u16-length-prefixed UTF-8 segment and what follows it.
fn take_segment(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let (length, rest) = bytes.split_first_chunk::<2>()?;
    let (segment, rest) = rest.split_at_checked(usize::from(u16::from_le_bytes(*length)))?;
    Some((std::str::from_utf8(segment).ok()?, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token shaped like a real `SignedInvoice`: a 25-item invoice in the payload.
    fn realistic_jws() -> String {
        let items: Vec<String> = (1..=25)
            .map(|n| {
                format!(
                    r#"{{"SlNo":"{n}","PrdDesc":"Item {n}","IsServc":"N","HsnCd":"1001{n:02}","Qty":{n},"Unit":"NOS","UnitPrice":{}.50,"TotAmt":{}.50,"Discount":0,"AssAmt":{}.50,"GstRt":18,"IgstAmt":0,"CgstAmt":{}.25,"SgstAmt":{}.25,"TotItemVal":{}.00}}"#,
                    n * 37,
                    n * n * 37,
                    n * n * 37,
                    n * 3,
                    n * 3,
                    n * n * 44
                )
            })
            .collect();
        let payload = format!(
            r#"{{"AckNo":112510000000001,"AckDt":"2025-07-01 10:00:00","Irn":"{}","Version":"1.1","TranDtls":{{"TaxSch":"GST","SupTyp":"B2B"}},"ItemList":[{}]}}"#,
            "a".repeat(64),
            items.join(",")
        );
        format!(
            "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyIsInR5cCI6IkpXVCJ9.{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode([7u8; 256])
        )
    }

    /// A realistic token and its middle segment decoded, as the signing thread has them.
    fn realistic_jws_and_payload() -> (String, Vec<u8>) {
        let jws = realistic_jws();
        let payload = URL_SAFE_NO_PAD
            .decode(jws.split('.').nth(1).unwrap())
            .unwrap();
        (jws, payload)
    }

    #[test]
    fn a_signed_invoice_rebuilds_byte_for_byte_at_a_fraction_of_its_size() {
        let jws = realistic_jws();
        let packed = pack(&jws).expect("a compact JWS packs");
        assert_eq!(unpack(&packed).as_deref(), Some(jws.as_str()));
        assert!(
            packed.len() * 3 < jws.len(),
            "{} bytes packed from {}",
            packed.len(),
            jws.len()
        );
    }

    #[test]
    fn packing_from_the_payload_at_hand_gives_the_same_bytes() {
        let (jws, payload) = realistic_jws_and_payload();
        let packed = PackedSignedInvoice::of(&jws, &payload).expect("packs");
        assert_eq!(Some(packed.bytes().to_vec()), pack(&jws));
        // A payload that is not the token's is refused when its length shows it.
        assert_eq!(PackedSignedInvoice::of(&jws, &payload[1..]), None);
        assert_eq!(PackedSignedInvoice::of("not a token", b""), None);
    }

    #[test]
    fn packed_bytes_know_the_token_they_were_made_from() {
        let (jws, payload) = realistic_jws_and_payload();
        let packed = PackedSignedInvoice::of(&jws, &payload).unwrap();
        assert!(packed.packs(&jws));
        let (head, signature) = jws.rsplit_once('.').unwrap();
        let mut other_signature = signature.to_owned();
        other_signature.replace_range(0..1, if signature.starts_with('A') { "B" } else { "A" });
        assert!(!packed.packs(&format!("{head}.{other_signature}")));
        let (header, rest) = jws.split_once('.').unwrap();
        assert!(!packed.packs(&format!("{header}x.{rest}")));
        let (payload_part, signature) = rest.split_once('.').unwrap();
        assert!(!packed.packs(&format!("{header}.{payload_part}AAAA.{signature}")));
        assert!(!packed.packs("not a token"));
        assert!(!PackedSignedInvoice(Vec::new()).packs(&jws));
    }

    #[test]
    fn tokens_that_would_not_rebuild_exactly_are_not_packed() {
        let jws = realistic_jws();
        let (head, signature) = jws.rsplit_once('.').unwrap();
        for not_packable in [
            "not a token".to_owned(),
            "a.b".to_owned(),
            format!("{jws}.extra"),
            format!("{head}=.{signature}"),        // padding
            "h.YR.s".to_owned(), // stray bits in the last character (canonical: YQ)
            "h.a+b/.s".to_owned(), // standard, not URL-safe, alphabet
            format!("{}.p.s", "h".repeat(70_000)), // header too long for its length field
        ] {
            assert_eq!(pack(&not_packable), None, "{not_packable:.40}");
        }
        // Empty segments are canonical and rebuild.
        assert_eq!(unpack(&pack("..").unwrap()).as_deref(), Some(".."));
    }

    #[test]
    fn damaged_packed_bytes_are_refused_not_misread() {
        let packed = pack(&realistic_jws()).unwrap();
        assert_eq!(unpack(&[]), None);
        assert_eq!(unpack(&[2]), None, "unknown version");
        for cut in [1, 2, 3, 60, packed.len() - 1] {
            assert_eq!(unpack(&packed[..cut]), None, "cut at {cut}");
        }
        // A frame declaring a payload above the limit is refused before anything is allocated.
        let zeros = URL_SAFE_NO_PAD.encode(vec![0u8; (MAX_PAYLOAD + 1) as usize]);
        let huge = pack(&format!("h.{zeros}.s")).expect("packs");
        assert_eq!(unpack(&huge), None);
        for at in [packed.len() / 2, packed.len() - 5, packed.len() - 1] {
            let mut flipped = packed.clone();
            flipped[at] ^= 0x55;
            assert_eq!(unpack(&flipped), None, "a byte flipped at {at}");
        }
    }
}
