//! QR codes of the `SignedQRCode` JWS (`05` §5; `print.qr_ecc`, D-55).
//!
//! The printed code holds the JWS string itself in **byte mode**. A general encoder splits text
//! into numeric, alphanumeric and byte segments to save space; some scanners used with
//! e-invoices mishandle mixed segments, so the bits are built here as one byte segment and the
//! smallest version that fits at the chosen error-correction level is used.
//!
//! Decoding ([`decode_png`]) exists for tests and for verifying an uploaded printout. Its input
//! is untrusted, so image size is bounded before any pixel buffer is allocated.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;

use qrcode::bits::Bits;
use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode, Version};

/// Quiet zone around the symbol, in modules (ISO/IEC 18004 requires 4).
const QUIET_ZONE: usize = 4;
/// Largest accepted module size for PNG output, in pixels.
pub const MAX_MODULE_PX: u32 = 32;
/// Largest accepted PNG width or height for decoding, in pixels.
pub const MAX_DECODE_SIDE: u32 = 8000;

/// Error-correction level (`print.qr_ecc`); `M` by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum QrEcc {
    L,
    #[default]
    M,
    Q,
    H,
}

impl QrEcc {
    fn level(self) -> EcLevel {
        match self {
            QrEcc::L => EcLevel::L,
            QrEcc::M => EcLevel::M,
            QrEcc::Q => EcLevel::Q,
            QrEcc::H => EcLevel::H,
        }
    }
}

/// Parses the configuration spelling: `L`, `M`, `Q` or `H` (any case).
impl FromStr for QrEcc {
    type Err = QrError;

    fn from_str(text: &str) -> Result<QrEcc, QrError> {
        match text.trim().to_ascii_uppercase().as_str() {
            "L" => Ok(QrEcc::L),
            "M" => Ok(QrEcc::M),
            "Q" => Ok(QrEcc::Q),
            "H" => Ok(QrEcc::H),
            _ => Err(QrError::UnknownEcc),
        }
    }
}

/// Why a QR code could not be rendered or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("the text is too long for any QR code version at this error-correction level")]
    TooLong,
    #[error("error-correction level must be L, M, Q or H")]
    UnknownEcc,
    #[error("module size must be 1 to {MAX_MODULE_PX} pixels")]
    BadModuleSize,
    #[error(
        "image of {width}x{height} pixels exceeds the {MAX_DECODE_SIDE}x{MAX_DECODE_SIDE} limit"
    )]
    ImageTooLarge { width: u32, height: u32 },
    #[error("PNG error: {0}")]
    Png(String),
    #[error("JPEG error: {0}")]
    Jpeg(String),
    #[error("the picture is neither a PNG nor a JPEG")]
    UnknownImage,
    #[error("QR code could not be decoded: {0}")]
    Decode(String),
}

/// Encodes `text` as a single byte-mode segment in the smallest version that fits.
fn encode(text: &str, ecc: QrEcc) -> Result<QrCode, QrError> {
    let level = ecc.level();
    let data = text.as_bytes();
    for number in 1..=40 {
        let mut bits = Bits::new(Version::Normal(number));
        let capacity = bits.max_len(level).map_err(|_| QrError::TooLong)?;
        // Cheap lower bound (mode and length headers come on top) to skip small versions.
        if data.len().saturating_mul(8) > capacity || bits.push_byte_data(data).is_err() {
            continue;
        }
        if bits.len() > capacity || bits.push_terminator(level).is_err() {
            continue;
        }
        return QrCode::with_bits(bits, level).map_err(|_| QrError::TooLong);
    }
    Err(QrError::TooLong)
}

/// The modules of a QR code, row by row from the top left, `true` for dark; the quiet zone
/// around them is the drawer's to leave (4 modules). For drawing the code at any size, as the
/// PDF print does with one filled rectangle per run of dark modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrModules {
    /// Modules on a side.
    pub width: usize,
    pub dark: Vec<bool>,
}

impl QrModules {
    /// Whether the module at column `x`, row `y` is dark.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }
}

/// The modules of `text`'s code: the same symbol [`render_svg`] and [`render_png`] draw.
pub fn modules(text: &str, ecc: QrEcc) -> Result<QrModules, QrError> {
    let code = encode(text, ecc)?;
    Ok(QrModules {
        width: code.width(),
        dark: code
            .to_colors()
            .into_iter()
            .map(|color| color == Color::Dark)
            .collect(),
    })
}

/// Renders `text` as an SVG document (black on white, 4-module quiet zone, 4 user units per
/// module; it scales freely).
pub fn render_svg(text: &str, ecc: QrEcc) -> Result<String, QrError> {
    let code = encode(text, ecc)?;
    Ok(code
        .render::<svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(4, 4)
        .build())
}

/// Renders `text` as a 1-bit greyscale PNG with `module_px` pixels per module and a 4-module
/// quiet zone.
pub fn render_png(text: &str, ecc: QrEcc, module_px: u32) -> Result<Vec<u8>, QrError> {
    if !(1..=MAX_MODULE_PX).contains(&module_px) {
        return Err(QrError::BadModuleSize);
    }
    let code = encode(text, ecc)?;
    let modules = code.width();
    let colors = code.to_colors();
    let scale = module_px as usize;
    let side = (modules + 2 * QUIET_ZONE) * scale;
    let row_bytes = side.div_ceil(8);
    // 1-bit greyscale: 1 is white. Start all white and clear the dark pixels.
    let mut pixels = vec![0xFFu8; row_bytes * side];
    for (index, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (index % modules + QUIET_ZONE, index / modules + QUIET_ZONE);
        for y in my * scale..(my + 1) * scale {
            for x in mx * scale..(mx + 1) * scale {
                pixels[y * row_bytes + x / 8] &= !(0x80 >> (x % 8));
            }
        }
    }
    let side_u32 = u32::try_from(side).map_err(|_| QrError::BadModuleSize)?;
    let mut out = Vec::with_capacity(pixels.len() / 4 + 128);
    let mut encoder = png::Encoder::new(&mut out, side_u32, side_u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let png_error = |error: png::EncodingError| QrError::Png(error.to_string());
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&pixels).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(out)
}

/// Finds and decodes every QR code in a PNG image (any colour type and bit depth; transparent
/// pixels count as white). Returns the texts of the codes that decode; an image without codes
/// gives an empty list, and an image whose codes all fail to decode gives an error.
pub fn decode_png(png: &[u8]) -> Result<Vec<String>, QrError> {
    let png_error = |error: png::DecodingError| QrError::Png(error.to_string());
    let mut decoder = png::Decoder::new(Cursor::new(png));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let info = decoder.read_header_info().map_err(png_error)?;
    let (width, height) = (info.width, info.height);
    if width > MAX_DECODE_SIDE || height > MAX_DECODE_SIDE {
        return Err(QrError::ImageTooLarge { width, height });
    }
    let mut reader = decoder.read_info().map_err(png_error)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| QrError::Png("image too large".into()))?;
    let mut buffer = vec![0u8; size];
    let frame = reader.next_frame(&mut buffer).map_err(png_error)?;
    let luma = to_luma(buffer, &frame)?;
    decode_luma(&luma, frame.width as usize, frame.height as usize)
}

/// Like [`decode_png`], for a JPEG picture (a phone's photo of a printout). Its size is read
/// from the header and bounded before any pixel is decoded.
pub fn decode_jpeg(jpeg: &[u8]) -> Result<Vec<String>, QrError> {
    use zune_jpeg::JpegDecoder;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;

    let side = MAX_DECODE_SIDE as usize;
    let options = DecoderOptions::default()
        .set_max_width(side)
        .set_max_height(side)
        .jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut decoder = JpegDecoder::new_with_options(jpeg, options);
    let jpeg_error = |error: zune_jpeg::errors::DecodeErrors| QrError::Jpeg(error.to_string());
    decoder.decode_headers().map_err(jpeg_error)?;
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| QrError::Jpeg("no image size".into()))?;
    if width > side || height > side {
        return Err(QrError::ImageTooLarge {
            width: u32::try_from(width).unwrap_or(u32::MAX),
            height: u32::try_from(height).unwrap_or(u32::MAX),
        });
    }
    let luma = decoder.decode().map_err(jpeg_error)?;
    if luma.len() != width * height {
        return Err(QrError::Jpeg("unexpected pixel layout".into()));
    }
    decode_luma(&luma, width, height)
}

/// Decodes a picture that is a PNG or a JPEG, told apart by their signatures.
pub fn decode_image(bytes: &[u8]) -> Result<Vec<String>, QrError> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        decode_png(bytes)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        decode_jpeg(bytes)
    } else {
        Err(QrError::UnknownImage)
    }
}

/// The QR codes in a greyscale picture of `w` × `h` pixels.
fn decode_luma(luma: &[u8], w: usize, h: usize) -> Result<Vec<String>, QrError> {
    // rqrr has had panics on crafted images; a bad upload must not take the caller down.
    catch_unwind(AssertUnwindSafe(|| {
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| luma[y * w + x]);
        let grids = image.detect_grids();
        let mut texts = Vec::with_capacity(grids.len());
        let mut first_error = None;
        for grid in &grids {
            match grid.decode() {
                Ok((_, text)) => texts.push(text),
                Err(error) => {
                    first_error.get_or_insert(error.to_string());
                }
            }
        }
        match first_error {
            Some(error) if texts.is_empty() => Err(QrError::Decode(error)),
            _ => Ok(texts),
        }
    }))
    .unwrap_or_else(|_| {
        Err(QrError::Decode(
            "the QR decoder failed on this image".into(),
        ))
    })
}

fn to_luma(mut buffer: Vec<u8>, frame: &png::OutputInfo) -> Result<Vec<u8>, QrError> {
    let channels = match frame.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err(QrError::Png("palette was not expanded".into())),
    };
    if frame.bit_depth != png::BitDepth::Eight {
        return Err(QrError::Png("unexpected bit depth after expansion".into()));
    }
    let (width, height) = (frame.width as usize, frame.height as usize);
    let mut out = 0;
    for row in 0..height {
        let start = row * frame.line_size;
        for x in 0..width {
            let px = start + x * channels;
            let (value, alpha) = match channels {
                1 => (u32::from(buffer[px]), 255),
                2 => (u32::from(buffer[px]), u32::from(buffer[px + 1])),
                _ => {
                    let (r, g, b) = (buffer[px], buffer[px + 1], buffer[px + 2]);
                    let luma =
                        (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
                    let alpha = if channels == 4 {
                        u32::from(buffer[px + 3])
                    } else {
                        255
                    };
                    (luma, alpha)
                }
            };
            // Composite over white: transparent backgrounds are common for printed codes.
            buffer[out] = ((value * alpha + 255 * (255 - alpha)) / 255) as u8;
            out += 1;
        }
    }
    buffer.truncate(out);
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1,000-character string shaped like a SignedQRCode JWS.
    fn jws_like() -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        (0..1000)
            .map(|index| {
                if index == 300 || index == 700 {
                    return '.';
                }
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(ALPHABET[(state % 64) as usize])
            })
            .collect()
    }

    #[test]
    fn jpeg_photos_decode_and_pictures_are_told_apart() {
        // A photo-like JPEG (rotated 7°, blurred, quality 75) made with Python's qrcode and Pillow.
        let photo = include_bytes!("../tests/core/data/qr-photo.jpg");
        let expected = vec!["IRP JPEG fixture: a printed QR code photographed".to_owned()];
        assert_eq!(decode_jpeg(photo).unwrap(), expected);
        assert_eq!(decode_image(photo).unwrap(), expected);
        let png = render_png("a PNG", QrEcc::M, 4).unwrap();
        assert_eq!(decode_image(&png).unwrap(), vec!["a PNG".to_owned()]);
        assert_eq!(decode_image(b"GIF89a"), Err(QrError::UnknownImage));
        assert!(matches!(decode_jpeg(&photo[..200]), Err(QrError::Jpeg(_))));
        assert!(matches!(
            decode_jpeg(b"\xFF\xD8\xFFnot a jpeg"),
            Err(QrError::Jpeg(_))
        ));
    }

    #[test]
    fn oversized_jpegs_are_refused_before_decoding() {
        // The header of the fixture with its height and width patched to 9000 × 9000: refused from
        // the header alone, before any pixel buffer exists.
        let mut photo = include_bytes!("../tests/core/data/qr-photo.jpg").to_vec();
        let sof = photo
            .windows(2)
            .position(|w| w[0] == 0xFF && (w[1] == 0xC0 || w[1] == 0xC2))
            .expect("a start-of-frame marker");
        photo[sof + 5..sof + 9].copy_from_slice(&[0x23, 0x28, 0x23, 0x28]);
        let refused = decode_jpeg(&photo);
        assert!(format!("{refused:?}").contains("9000"), "{refused:?}");
    }

    #[test]
    fn modules_are_the_symbol_the_png_draws() {
        let text = jws_like();
        let symbol = modules(&text, QrEcc::M).unwrap();
        assert_eq!(symbol.dark.len(), symbol.width * symbol.width);
        // One pixel per module: the PNG is the modules inside a 4-module white border.
        let png = render_png(&text, QrEcc::M, 1).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut pixels).unwrap();
        let side = frame.width as usize;
        assert_eq!(side, symbol.width + 2 * QUIET_ZONE);
        let dark_pixel =
            |x: usize, y: usize| pixels[y * frame.line_size + x / 8] & (0x80 >> (x % 8)) == 0;
        for y in 0..side {
            for x in 0..side {
                let inside = (QUIET_ZONE..QUIET_ZONE + symbol.width).contains(&x)
                    && (QUIET_ZONE..QUIET_ZONE + symbol.width).contains(&y);
                let expected = inside && symbol.is_dark(x - QUIET_ZONE, y - QUIET_ZONE);
                assert_eq!(dark_pixel(x, y), expected, "module ({x}, {y})");
            }
        }
    }

    #[test]
    fn png_round_trips_a_long_jws_at_ecc_m() {
        let text = jws_like();
        let png = render_png(&text, QrEcc::M, 3).unwrap();
        assert_eq!(decode_png(&png).unwrap(), vec![text]);
    }

    /// The grid of `code` with the data mask removed everywhere except the format and version
    /// information, so that rqrr's raw reader returns the unmasked bit stream.
    struct Unmasked {
        dark: Vec<bool>,
        size: usize,
        mask: u16,
    }

    impl rqrr::BitGrid for Unmasked {
        fn size(&self) -> usize {
            self.size
        }

        // The mask formulas are written as in ISO/IEC 18004 (and the MSRV predates is_multiple_of).
        #[allow(clippy::manual_is_multiple_of)]
        fn bit(&self, y: usize, x: usize) -> bool {
            let n = self.size;
            // Version information exists from version 7 (45 modules) on.
            let version_info = n >= 45
                && ((y < 6 && x + 11 >= n && x + 8 < n) || (x < 6 && y + 11 >= n && y + 8 < n));
            let info = version_info
                || (y == 8 && (x <= 8 || x + 8 >= n))
                || (x == 8 && (y <= 8 || y + 8 >= n));
            let flip = !info
                && match self.mask {
                    0 => (y + x) % 2 == 0,
                    1 => y % 2 == 0,
                    2 => x % 3 == 0,
                    3 => (y + x) % 3 == 0,
                    4 => (y / 2 + x / 3) % 2 == 0,
                    5 => (y * x) % 2 + (y * x) % 3 == 0,
                    6 => ((y * x) % 2 + (y * x) % 3) % 2 == 0,
                    _ => ((y * x) % 3 + (y + x) % 2) % 2 == 0,
                };
            self.dark[y * n + x] != flip
        }
    }

    #[test]
    fn the_whole_text_is_one_byte_mode_segment() {
        // Upper case, digits and '.' only: an optimising encoder would use alphanumeric mode.
        let text = "EYJHBGCIOIJSUZI1NIJ9.12345678901234567890";
        let code = encode(text, QrEcc::M).unwrap();
        // Version 3 at M: one block, so the raw stream starts with the data codewords in order.
        assert_eq!(code.version(), Version::Normal(3));
        let size = code.width();
        let dark: Vec<bool> = code.to_colors().iter().map(|c| *c == Color::Dark).collect();
        let plain = rqrr::SimpleGrid::from_func(size, |x, y| dark[y * size + x]);
        let (meta, _) = rqrr::Grid::new(plain).get_raw_data().unwrap();
        let unmasked = Unmasked {
            dark,
            size,
            mask: meta.mask,
        };
        let (_, raw) = rqrr::Grid::new(unmasked).get_raw_data().unwrap();
        let bit = |at: usize| (raw.data[at / 8] >> (7 - at % 8)) & 1;
        let field = |from: usize, len: usize| (from..from + len).fold(0, |n, at| n << 1 | bit(at));
        assert_eq!(field(0, 4), 0b0100, "byte mode indicator");
        assert_eq!(
            field(4, 8) as usize,
            text.len(),
            "one segment holds every byte"
        );
        for (index, byte) in text.bytes().enumerate() {
            assert_eq!(field(12 + 8 * index, 8), byte);
        }
        assert_eq!(field(12 + 8 * text.len(), 4), 0, "terminator");
    }

    #[test]
    fn digits_are_not_packed_into_numeric_mode() {
        let digits = "1".repeat(100);
        let ours = encode(&digits, QrEcc::M).unwrap();
        let optimised = QrCode::with_error_correction_level(&digits, EcLevel::M).unwrap();
        assert!(ours.version().width() > optimised.version().width());
        // 100 bytes need version 6 at M (106 bytes); version 5 holds 84.
        assert_eq!(ours.version(), Version::Normal(6));
        assert_eq!(encode("A", QrEcc::H).unwrap().version(), Version::Normal(1));
    }

    #[test]
    fn every_level_round_trips() {
        for ecc in [QrEcc::L, QrEcc::M, QrEcc::Q, QrEcc::H] {
            let text = format!("eyJhbGciOiJSUzI1NiJ9.{ecc:?}.x_y-z");
            let png = render_png(&text, ecc, 2).unwrap();
            assert_eq!(decode_png(&png).unwrap(), vec![text]);
        }
    }

    #[test]
    fn svg_is_a_real_document() {
        let svg = render_svg(&jws_like(), QrEcc::M).unwrap();
        assert!(svg.contains("<svg"));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.len() > 10_000);
    }

    #[test]
    fn too_long_text_is_an_error() {
        let text = "a".repeat(2954);
        for ecc in [QrEcc::L, QrEcc::M, QrEcc::Q, QrEcc::H] {
            assert_eq!(render_svg(&text, ecc).unwrap_err(), QrError::TooLong);
            assert_eq!(render_png(&text, ecc, 1).unwrap_err(), QrError::TooLong);
        }
        assert!(render_svg(&"a".repeat(2953), QrEcc::L).is_ok());
        assert!(render_svg(&"a".repeat(1273), QrEcc::H).is_ok());
        assert_eq!(
            render_svg(&"a".repeat(1274), QrEcc::H).unwrap_err(),
            QrError::TooLong
        );
        assert!(render_png("x", QrEcc::M, 0).is_err());
        assert!(render_png("x", QrEcc::M, MAX_MODULE_PX + 1).is_err());
    }

    #[test]
    fn garbage_and_oversized_images_are_errors() {
        assert!(matches!(decode_png(b""), Err(QrError::Png(_))));
        assert!(matches!(
            decode_png(b"not a png at all"),
            Err(QrError::Png(_))
        ));
        let png = render_png("hello", QrEcc::M, 2).unwrap();
        assert!(decode_png(&png[..png.len() / 2]).is_err());

        let mut header_only = Vec::new();
        let mut encoder = png::Encoder::new(&mut header_only, 9000, 10);
        encoder.set_color(png::ColorType::Grayscale);
        drop(encoder.write_header().unwrap());
        assert_eq!(
            decode_png(&header_only).unwrap_err(),
            QrError::ImageTooLarge {
                width: 9000,
                height: 10
            }
        );
    }

    #[test]
    fn blank_image_has_no_codes() {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, 50, 40);
        encoder.set_color(png::ColorType::Grayscale);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&[255; 2000]).unwrap();
        writer.finish().unwrap();
        assert_eq!(decode_png(&out).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn transparent_rgba_images_decode() {
        // Re-encode a rendered code as RGBA: dark = opaque black, light = transparent black.
        let text = "eyJ0eXAiOiJKV1QifQ.e30.c2ln";
        let png = render_png(text, QrEcc::M, 3).unwrap();
        let mut decoder = png::Decoder::new(Cursor::new(&png[..]));
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().unwrap();
        let mut grey = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut grey).unwrap();
        let rgba: Vec<u8> = grey
            .iter()
            .flat_map(|&v| [0, 0, 0, if v < 128 { 255 } else { 0 }])
            .collect();
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, frame.width, frame.height);
        encoder.set_color(png::ColorType::Rgba);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&rgba).unwrap();
        writer.finish().unwrap();
        assert_eq!(decode_png(&out).unwrap(), vec![text.to_owned()]);
    }

    #[test]
    fn printed_signed_qr_code_verifies_after_scanning() {
        use crate::keys::testing::KEY_A;
        let data = r#"{"SellerGstin":"37ARZPT4384Q1MT","DocNo":"DOC/001","TotInvVal":12908.0}"#;
        let jws = KEY_A.sign_compact(crate::jws::payload(data, "NIC").as_bytes());
        let scanned = decode_png(&render_png(&jws, QrEcc::M, 2).unwrap()).unwrap();
        let verifier = crate::jws::Verifier::new(vec![KEY_A.certificate().clone()]);
        assert_eq!(verifier.verify(&scanned[0]).unwrap().data, data);
    }

    #[test]
    fn ecc_parses_from_configuration() {
        assert_eq!("m".parse::<QrEcc>().unwrap(), QrEcc::M);
        assert_eq!(" H ".parse::<QrEcc>().unwrap(), QrEcc::H);
        assert_eq!("X".parse::<QrEcc>().unwrap_err(), QrError::UnknownEcc);
        assert_eq!(QrEcc::default(), QrEcc::M);
    }
}
