//! The printed e-invoice as an A4 PDF, made in-process from the print model
//! (`api::print::PrintPage`): no browser, no external program. Text is set in the embedded
//! DejaVu Sans Condensed (`font`), subset per document; the QR code is drawn as vector
//! rectangles, 4.5 cm wide with its quiet zone, so it prints sharp at any resolution; a long
//! item list continues on further pages with the table header repeated; every page carries the
//! IRN and its number.

mod font;

use irp_core::qr::QrModules;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};

use crate::api::print::{Party, PrintItem, PrintPage, TOTAL_INVOICE_VALUE};
use font::{BOLD, FontFile, FontRefs, FontUse, REGULAR};

/// A4 portrait, in points.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 36.0;
/// The space kept at the foot of every page for its footer.
const FOOTER: f32 = 26.0;
/// The QR code's side with its 4-module quiet zone: about 4.5 cm.
const QR_SIDE: f32 = 127.6;
/// A printer's dot at 300 dpi, in points.
const DOT: f32 = 72.0 / 300.0;
const REGULAR_NAME: Name<'static> = Name(b"F1");
const BOLD_NAME: Name<'static> = Name(b"F2");

/// Why a PDF could not be made (the font could not be subset: a broken build, never input).
#[derive(Debug, thiserror::Error)]
#[error("the PDF could not be made: {0}")]
pub struct PdfError(String);

/// zlib-compressed `data`, for `FlateDecode` streams.
fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// The pages being laid out, and the fonts they use.
struct Layout {
    pages: Vec<Content>,
    regular: FontUse,
    bold: FontUse,
    /// The baseline of the next line on the current page, from the bottom.
    y: f32,
}

#[derive(Clone, Copy)]
enum Weight {
    Regular,
    Bold,
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
}

impl Layout {
    fn new() -> Layout {
        let mut layout = Layout {
            pages: Vec::new(),
            regular: FontUse::new(&REGULAR),
            bold: FontUse::new(&BOLD),
            y: 0.0,
        };
        layout.new_page();
        layout
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = PAGE_HEIGHT - MARGIN;
    }

    fn page(&mut self) -> &mut Content {
        self.pages.last_mut().expect("a page is always open")
    }

    fn file(weight: Weight) -> &'static FontFile {
        match weight {
            Weight::Regular => &REGULAR,
            Weight::Bold => &BOLD,
        }
    }

    fn width(text: &str, size: f32, weight: Weight) -> f32 {
        Layout::file(weight).width(text, size)
    }

    /// Sets `text` with its left edge (or, aligned right, its right edge) at `x`, baseline `y`.
    #[allow(clippy::too_many_arguments)] // a text run is all of these
    fn text(&mut self, x: f32, y: f32, size: f32, weight: Weight, align: Align, text: &str) {
        if text.is_empty() {
            return;
        }
        let x = match align {
            Align::Left => x,
            Align::Right => x - Layout::width(text, size, weight),
        };
        let (codes, name) = match weight {
            Weight::Regular => (self.regular.encode(text), REGULAR_NAME),
            Weight::Bold => (self.bold.encode(text), BOLD_NAME),
        };
        let page = self.page();
        page.begin_text();
        page.set_font(name, size);
        page.next_line(x, y);
        page.show(Str(&codes));
        page.end_text();
    }

    fn rule(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        let page = self.page();
        page.set_line_width(width);
        page.move_to(x1, y1);
        page.line_to(x2, y2);
        page.stroke();
    }

    fn frame(&mut self, x: f32, y: f32, width: f32, height: f32) {
        let page = self.page();
        page.set_line_width(0.5);
        page.rect(x, y, width, height);
        page.stroke();
    }

    fn shade(&mut self, x: f32, y: f32, width: f32, height: f32, gray: f32) {
        let page = self.page();
        page.save_state();
        page.set_fill_gray(gray);
        page.rect(x, y, width, height);
        page.fill_nonzero();
        page.restore_state();
    }
}

/// `text` broken into lines no wider than `width`, at word boundaries where it can (a word
/// wider than a line is cut), at most `max_lines`, the last ending in `…` when text is left.
fn wrap(text: &str, width: f32, size: f32, weight: Weight, max_lines: usize) -> Vec<String> {
    let fits = |line: &str| Layout::width(line, size, weight) <= width;
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if fits(&candidate) {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        // A word longer than the line is cut where it overflows.
        let mut rest = word.to_owned();
        while !fits(&rest) {
            let mut cut = String::new();
            for c in rest.chars() {
                cut.push(c);
                if !fits(&cut) {
                    cut.pop();
                    break;
                }
            }
            if cut.is_empty() {
                break;
            }
            rest = rest[cut.len()..].to_owned();
            lines.push(cut);
        }
        current = rest;
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            while !last.is_empty() && !fits(&format!("{last}…")) {
                last.pop();
            }
            last.push('…');
        }
    }
    lines
}

/// The item table's columns: heading, width, alignment and the cell of an item.
type Cell = fn(&PrintItem) -> String;
/// The position of the description in [`COLUMNS`], the one column that wraps.
const DESCRIPTION: usize = 1;
const COLUMNS: [(&str, f32, Align, Cell); 13] = [
    ("Sl.", 18.0, Align::Left, |i| i.sl_no.clone()),
    ("Description", 96.0, Align::Left, |i| i.description.clone()),
    ("HSN", 38.0, Align::Left, |i| i.hsn.clone()),
    ("Qty", 34.0, Align::Right, |i| i.qty.clone()),
    ("Unit", 24.0, Align::Left, |i| i.unit.clone()),
    ("Unit price", 46.0, Align::Right, |i| i.unit_price.clone()),
    ("Taxable", 50.0, Align::Right, |i| i.taxable.clone()),
    ("GST", 22.0, Align::Right, |i| i.rate.clone()),
    ("IGST", 42.0, Align::Right, |i| i.igst.clone()),
    ("CGST", 36.0, Align::Right, |i| i.cgst.clone()),
    ("SGST", 36.0, Align::Right, |i| i.sgst.clone()),
    ("Cess", 28.0, Align::Right, |i| i.cess.clone()),
    ("Total", 53.28, Align::Right, |i| i.total.clone()),
];
const TABLE_SIZE: f32 = 7.0;
const TABLE_LEADING: f32 = 8.6;
const CELL_PAD: f32 = 2.0;
/// The smallest size a cell's text is shrunk to so that a figure stays on one line.
const SMALLEST_SIZE: f32 = 4.0;
/// The description wraps over as many lines as it needs (`PrdDesc` is at most 300 characters).
const DESCRIPTION_LINES: usize = 40;

/// The size at which `text` fits `width` on one line: the table's, or smaller for a long
/// figure. A figure is never broken over two lines, where it would read as two numbers.
fn fitting_size(text: &str, width: f32) -> f32 {
    let natural = Layout::width(text, TABLE_SIZE, Weight::Regular);
    if natural <= width {
        TABLE_SIZE
    } else {
        (TABLE_SIZE * width / natural).max(SMALLEST_SIZE)
    }
}

/// The PDF of `page`, whose QR code is `qr`.
pub(crate) fn render(page: &PrintPage, qr: &QrModules) -> Result<Vec<u8>, PdfError> {
    let mut layout = Layout::new();
    header(&mut layout, page, qr);
    parties(&mut layout, &page.parties);
    items(&mut layout, &page.items);
    totals(&mut layout, &page.totals);
    footers(&mut layout, page);
    assemble(layout)
}

fn header(layout: &mut Layout, page: &PrintPage, qr: &QrModules) {
    let top = layout.y;
    let left = MARGIN;
    layout.text(
        left,
        top - 16.0,
        16.0,
        Weight::Bold,
        Align::Left,
        "e-Invoice",
    );
    let title = format!("{} {}", page.doc_type, page.doc_no);
    layout.text(left, top - 34.0, 11.0, Weight::Bold, Align::Left, &title);
    let mut y = top - 50.0;
    if let Some(date) = &page.cancel_date {
        layout.page().save_state();
        layout.page().set_fill_rgb(0.7, 0.0, 0.0);
        layout.text(
            left,
            y,
            12.0,
            Weight::Bold,
            Align::Left,
            &format!("CANCELLED on {date}"),
        );
        layout.page().restore_state();
        y -= 16.0;
    }
    let supply = if page.reverse_charge {
        format!("{} (reverse charge)", page.supply_type)
    } else {
        page.supply_type.to_owned()
    };
    let mut facts = vec![
        ("IRN", page.irn.clone()),
        ("Ack No.", page.ack_no.to_string()),
        ("Ack Date", page.ack_dt.clone()),
        ("Document date", page.doc_date.clone()),
        ("Supply type", supply),
        ("Place of supply", page.pos.clone()),
    ];
    if let Some(ewb) = &page.ewb {
        facts.push(("E-way bill", ewb.clone()));
    }
    for (label, value) in facts {
        layout.text(left, y, 8.0, Weight::Bold, Align::Left, label);
        layout.text(left + 70.0, y, 8.0, Weight::Regular, Align::Left, &value);
        y -= 11.0;
    }

    // The QR code, top right, with its quiet zone left white. Modules and their position fall
    // on a grid of 1/300 inch, so that a 300 or 600 dpi printer or rasteriser draws every
    // module as whole dots: scanners read such codes far more reliably than blurred edges.
    let module = ((QR_SIDE / (qr.width + 8) as f32) / DOT).round().max(1.0) * DOT;
    let side = module * (qr.width + 8) as f32;
    let x0 = ((PAGE_WIDTH - MARGIN - side) / DOT).floor() * DOT;
    let from_top = ((PAGE_HEIGHT - top) / DOT).round() * DOT;
    let y0 = PAGE_HEIGHT - from_top - side;
    let content = layout.page();
    content.save_state();
    content.set_fill_gray(0.0);
    for row in 0..qr.width {
        let mut column = 0;
        while column < qr.width {
            if !qr.is_dark(column, row) {
                column += 1;
                continue;
            }
            let start = column;
            while column < qr.width && qr.is_dark(column, row) {
                column += 1;
            }
            let x = x0 + (start + 4) as f32 * module;
            let y = PAGE_HEIGHT - from_top - (row + 5) as f32 * module;
            content.rect(x, y, (column - start) as f32 * module, module);
        }
    }
    content.fill_nonzero();
    content.restore_state();
    layout.text(
        x0 + side / 2.0 - Layout::width("Signed QR code", 7.0, Weight::Regular) / 2.0,
        y0 - 8.0,
        7.0,
        Weight::Regular,
        Align::Left,
        "Signed QR code",
    );
    layout.y = y.min(y0 - 14.0) - 6.0;
}

fn party_lines(party: &Party, width: f32) -> Vec<(Weight, String)> {
    let mut lines = vec![(Weight::Bold, party.title.to_owned())];
    if let Some(gstin) = &party.gstin {
        lines.push((Weight::Regular, format!("GSTIN: {gstin}")));
    }
    for line in wrap(&party.legal_name, width, 8.0, Weight::Regular, 2) {
        lines.push((Weight::Regular, line));
    }
    if let Some(trade) = &party.trade_name {
        for line in wrap(trade, width, 8.0, Weight::Regular, 1) {
            lines.push((Weight::Regular, line));
        }
    }
    for line in wrap(&party.address, width, 8.0, Weight::Regular, 3) {
        lines.push((Weight::Regular, line));
    }
    lines.push((Weight::Regular, format!("{} {}", party.state, party.pin)));
    lines
}

fn parties(layout: &mut Layout, parties: &[Party]) {
    let gap = 10.0;
    let width = (PAGE_WIDTH - 2.0 * MARGIN - gap) / 2.0;
    for pair in parties.chunks(2) {
        let blocks: Vec<Vec<(Weight, String)>> = pair
            .iter()
            .map(|party| party_lines(party, width - 8.0))
            .collect();
        let rows = blocks.iter().map(Vec::len).max().unwrap_or(0);
        let height = rows as f32 * 10.0 + 8.0;
        if layout.y - height < MARGIN + FOOTER {
            layout.new_page();
        }
        let top = layout.y;
        for (index, lines) in blocks.iter().enumerate() {
            let x = MARGIN + index as f32 * (width + gap);
            layout.frame(x, top - height, width, height);
            let mut y = top - 12.0;
            for (weight, line) in lines {
                layout.text(x + 4.0, y, 8.0, *weight, Align::Left, line);
                y -= 10.0;
            }
        }
        layout.y = top - height - 8.0;
    }
}

fn table_header(layout: &mut Layout) {
    let height = TABLE_LEADING + 2.0 * CELL_PAD;
    let top = layout.y;
    layout.shade(MARGIN, top - height, PAGE_WIDTH - 2.0 * MARGIN, height, 0.9);
    let mut x = MARGIN;
    for (heading, width, align, _) in COLUMNS {
        let anchor = match align {
            Align::Left => x + CELL_PAD,
            Align::Right => x + width - CELL_PAD,
        };
        layout.text(
            anchor,
            top - CELL_PAD - TABLE_SIZE,
            TABLE_SIZE,
            Weight::Bold,
            align,
            heading,
        );
        x += width;
    }
    layout.y = top - height;
}

fn items(layout: &mut Layout, items: &[PrintItem]) {
    if layout.y - 3.0 * TABLE_LEADING < MARGIN + FOOTER {
        layout.new_page();
    }
    table_header(layout);
    for item in items {
        // The description wraps; every other cell is one line, shrunk to fit when it must.
        let cells: Vec<(Vec<String>, f32)> = COLUMNS
            .iter()
            .enumerate()
            .map(|(index, (_, width, _, cell))| {
                let text = cell(item);
                let room = width - 2.0 * CELL_PAD;
                if index == DESCRIPTION {
                    (
                        wrap(&text, room, TABLE_SIZE, Weight::Regular, DESCRIPTION_LINES),
                        TABLE_SIZE,
                    )
                } else {
                    let size = fitting_size(&text, room);
                    (vec![text], size)
                }
            })
            .collect();
        let lines = cells.iter().map(|(l, _)| l.len()).max().unwrap_or(1).max(1);
        let height = lines as f32 * TABLE_LEADING + 2.0 * CELL_PAD;
        if layout.y - height < MARGIN + FOOTER {
            layout.new_page();
            table_header(layout);
        }
        let top = layout.y;
        let mut x = MARGIN;
        for ((_, width, align, _), (lines, size)) in COLUMNS.iter().zip(&cells) {
            let anchor = match align {
                Align::Left => x + CELL_PAD,
                Align::Right => x + width - CELL_PAD,
            };
            for (index, line) in lines.iter().enumerate() {
                let y = top - CELL_PAD - TABLE_SIZE - index as f32 * TABLE_LEADING;
                layout.text(anchor, y, *size, Weight::Regular, *align, line);
            }
            x += width;
        }
        layout.y = top - height;
        layout.rule(MARGIN, layout.y, PAGE_WIDTH - MARGIN, layout.y, 0.3);
    }
    layout.y -= 8.0;
}

fn totals(layout: &mut Layout, totals: &[(&'static str, String)]) {
    let right = PAGE_WIDTH - MARGIN;
    let needed = totals.len() as f32 * 12.0;
    if layout.y - needed < MARGIN + FOOTER {
        layout.new_page();
    }
    for (label, value) in totals {
        let last = *label == TOTAL_INVOICE_VALUE;
        let weight = if last { Weight::Bold } else { Weight::Regular };
        let shown = if last {
            format!("₹ {value}")
        } else {
            value.clone()
        };
        let y = layout.y - 9.0;
        layout.text(right - 90.0, y, 8.5, weight, Align::Right, label);
        layout.text(right, y, 8.5, weight, Align::Right, &shown);
        layout.y -= 12.0;
    }
}

fn footers(layout: &mut Layout, page: &PrintPage) {
    let count = layout.pages.len();
    for index in 0..count {
        let text = format!(
            "IRN {} · registered at {} · printed from {} on {} · page {} of {}",
            page.irn,
            page.generated_at,
            page.printed_from,
            page.printed_on,
            index + 1,
            count
        );
        let codes = layout.regular.encode(&text);
        let content = &mut layout.pages[index];
        content.save_state();
        content.set_fill_gray(0.35);
        content.begin_text();
        content.set_font(REGULAR_NAME, 6.5);
        content.next_line(MARGIN, MARGIN - 4.0);
        content.show(Str(&codes));
        content.end_text();
        content.restore_state();
    }
}

/// Writes the document: catalog, page tree, pages with their compressed contents, the fonts.
fn assemble(layout: Layout) -> Result<Vec<u8>, PdfError> {
    let mut next = 1;
    let mut alloc = || {
        let id = Ref::new(next);
        next += 1;
        id
    };
    let catalog = alloc();
    let tree = alloc();
    let font_refs = |alloc: &mut dyn FnMut() -> Ref| FontRefs {
        type0: alloc(),
        cid: alloc(),
        descriptor: alloc(),
        file: alloc(),
        to_unicode: alloc(),
    };
    let regular_refs = font_refs(&mut alloc);
    let bold_refs = font_refs(&mut alloc);
    let page_refs: Vec<(Ref, Ref)> = layout.pages.iter().map(|_| (alloc(), alloc())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_refs.iter().map(|(page, _)| *page))
        .count(i32::try_from(page_refs.len()).unwrap_or(i32::MAX));
    let Layout {
        pages,
        regular,
        bold,
        ..
    } = layout;
    for (content, (page_ref, content_ref)) in pages.into_iter().zip(&page_refs) {
        let mut page = pdf.page(*page_ref);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        page.parent(tree);
        page.contents(*content_ref);
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(REGULAR_NAME, regular_refs.type0);
        fonts.pair(BOLD_NAME, bold_refs.type0);
        fonts.finish();
        resources.finish();
        page.finish();
        let compressed = deflate(&content.finish());
        pdf.stream(*content_ref, &compressed)
            .filter(Filter::FlateDecode);
    }
    regular
        .write(&mut pdf, &regular_refs)
        .map_err(|e| PdfError(e.to_string()))?;
    bold.write(&mut pdf, &bold_refs)
        .map_err(|e| PdfError(e.to_string()))?;
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_within_the_width_and_long_text_ends_in_an_ellipsis() {
        let lines = wrap(
            "Cotton shirts, blue, size 42",
            40.0,
            7.0,
            Weight::Regular,
            4,
        );
        assert!(lines.len() > 1, "{lines:?}");
        for line in &lines {
            assert!(Layout::width(line, 7.0, Weight::Regular) <= 40.0, "{line}");
        }
        assert_eq!(lines.join(" "), "Cotton shirts, blue, size 42");
        let long = "x".repeat(500);
        let lines = wrap(&long, 40.0, 7.0, Weight::Regular, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'));
        assert_eq!(
            wrap("", 40.0, 7.0, Weight::Regular, 2),
            Vec::<String>::new()
        );
    }

    #[test]
    fn figures_shrink_to_one_line_instead_of_wrapping() {
        assert_eq!(fitting_size("1,050.00", 40.0), TABLE_SIZE);
        let room = 36.0 - 2.0 * CELL_PAD;
        let size = fitting_size("1,23,45,678.90", room);
        assert!(size < TABLE_SIZE);
        assert!(Layout::width("1,23,45,678.90", size, Weight::Regular) <= room + 0.01);
        assert_eq!(fitting_size(&"9".repeat(200), room), SMALLEST_SIZE);
        assert_eq!(COLUMNS[DESCRIPTION].0, "Description");
    }

    #[test]
    fn the_columns_fill_the_width_between_the_margins() {
        let total: f32 = COLUMNS.iter().map(|(_, width, _, _)| width).sum();
        assert!(
            (total - (PAGE_WIDTH - 2.0 * MARGIN)).abs() < 0.01,
            "{total}"
        );
    }
}
