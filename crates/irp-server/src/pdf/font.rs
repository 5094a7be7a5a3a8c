//! The embedded font of the PDF print: DejaVu Sans Condensed, regular and bold
//! (`assets/fonts/`, licence in `assets/fonts/LICENSE-DejaVu.txt`), which has the Rupee sign and
//! the Latin text of Indian invoices. Each document embeds only the glyphs it uses (a subset),
//! as a CID font with `Identity-H` encoding and a `ToUnicode` map, so its text can be searched
//! and copied.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

static REGULAR_DATA: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansCondensed.ttf");
static BOLD_DATA: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansCondensed-Bold.ttf");

/// A font file and what the layout needs of it, read once.
pub struct FontFile {
    data: &'static [u8],
    face: Face<'static>,
    /// Subset names carry a tag of six capitals (ISO 32000 §9.6.4).
    subset_name: &'static str,
}

pub static REGULAR: LazyLock<FontFile> =
    LazyLock::new(|| FontFile::parse(REGULAR_DATA, "IRPAAA+DejaVuSansCondensed"));
pub static BOLD: LazyLock<FontFile> =
    LazyLock::new(|| FontFile::parse(BOLD_DATA, "IRPAAB+DejaVuSansCondensed-Bold"));

impl FontFile {
    fn parse(data: &'static [u8], subset_name: &'static str) -> FontFile {
        FontFile {
            data,
            face: Face::parse(data, 0).expect("the embedded font parses"),
            subset_name,
        }
    }

    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).map_or(0, |g| g.0)
    }

    /// A glyph's advance in thousandths of the font size, as PDF widths are given.
    fn advance(&self, glyph: u16) -> f32 {
        let units = self.face.glyph_hor_advance(GlyphId(glyph)).unwrap_or(0);
        f32::from(units) * 1000.0 / f32::from(self.face.units_per_em())
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }

    fn scaled(&self, units: i16) -> f32 {
        f32::from(units) * 1000.0 / f32::from(self.face.units_per_em())
    }
}

/// One font as one document uses it: the glyphs met so far, renumbered for the subset.
pub struct FontUse {
    file: &'static FontFile,
    remapper: GlyphRemapper,
    /// By new glyph id: the character it shows and its width.
    glyphs: BTreeMap<u16, (char, f32)>,
}

/// The objects one embedded font takes.
pub struct FontRefs {
    pub type0: Ref,
    pub cid: Ref,
    pub descriptor: Ref,
    pub file: Ref,
    pub to_unicode: Ref,
}

impl FontUse {
    pub fn new(file: &'static FontFile) -> FontUse {
        FontUse {
            file,
            remapper: GlyphRemapper::new(),
            glyphs: BTreeMap::new(),
        }
    }

    /// `text` as the two-byte codes of the subset's glyphs, for a `Tj` operator.
    pub fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut codes = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let glyph = self.file.glyph(c);
            let new = self.remapper.remap(glyph);
            self.glyphs
                .entry(new)
                .or_insert_with(|| (c, self.file.advance(glyph)));
            codes.extend_from_slice(&new.to_be_bytes());
        }
        codes
    }

    /// Writes the font's objects: the subset font file (compressed), its descriptor, the CID
    /// font with the widths of the glyphs used, the Type 0 font and the `ToUnicode` map.
    pub fn write(&self, pdf: &mut Pdf, refs: &FontRefs) -> Result<(), subsetter::Error> {
        let subset = subsetter::subset(self.file.data, 0, &self.remapper)?;
        let compressed = super::deflate(&subset);
        pdf.stream(refs.file, &compressed)
            .filter(Filter::FlateDecode)
            .pair(
                Name(b"Length1"),
                i32::try_from(subset.len()).unwrap_or(i32::MAX),
            );

        let name = Name(self.file.subset_name.as_bytes());
        let face = &self.file.face;
        let bbox = face.global_bounding_box();
        pdf.font_descriptor(refs.descriptor)
            .name(name)
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                self.file.scaled(bbox.x_min),
                self.file.scaled(bbox.y_min),
                self.file.scaled(bbox.x_max),
                self.file.scaled(bbox.y_max),
            ))
            .italic_angle(0.0)
            .ascent(self.file.scaled(face.ascender()))
            .descent(self.file.scaled(face.descender()))
            .cap_height(self.file.scaled(face.capital_height().unwrap_or(700)))
            .stem_v(80.0)
            .font_file2(refs.file);

        let system_info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        let mut cid = pdf.cid_font(refs.cid);
        cid.subtype(CidFontType::Type2)
            .base_font(name)
            .system_info(system_info)
            .font_descriptor(refs.descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let mut widths = cid.widths();
        for (glyph, (_, width)) in &self.glyphs {
            widths.consecutive(*glyph, [*width]);
        }
        widths.finish();
        cid.finish();

        pdf.type0_font(refs.type0)
            .base_font(name)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(refs.cid)
            .to_unicode(refs.to_unicode);

        let mut cmap = UnicodeCmap::new(Name(b"Custom"), system_info);
        for (glyph, (c, _)) in &self.glyphs {
            cmap.pair(*glyph, *c);
        }
        pdf.cmap(refs.to_unicode, &cmap.finish());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fonts_have_the_rupee_sign_and_measure_text() {
        for file in [&*REGULAR, &*BOLD] {
            assert_ne!(file.glyph('₹'), 0, "{}", file.subset_name);
            assert_ne!(file.glyph('A'), 0);
            let one = file.width("0", 10.0);
            assert!(one > 3.0 && one < 7.0, "{one}");
            assert!((file.width("00", 10.0) - 2.0 * one).abs() < 1e-3);
        }
    }

    #[test]
    fn glyphs_are_numbered_in_the_order_met_and_shared() {
        let mut font = FontUse::new(&REGULAR);
        assert_eq!(font.encode("AB"), vec![0, 1, 0, 2]);
        assert_eq!(font.encode("BA₹"), vec![0, 2, 0, 1, 0, 3]);
        assert_eq!(font.glyphs.len(), 3);
    }
}
