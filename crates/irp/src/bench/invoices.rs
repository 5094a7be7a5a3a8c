//! Realistic, valid, unique invoices for the load generator: 1 to 50 items, sellers and buyers in
//! several states (intra- and inter-state), varied HSNs and rates, exports and credit notes.
//! Amounts are computed in paise, so every invoice passes the arithmetic rules exactly.

use std::fmt::Write as _;

/// A sandbox seller (large, so 6-digit HSNs and the 30-day window apply) and its PIN.
pub const SELLERS: [(&str, u32); 9] = [
    ("01LARGE1000C1Z2", 190001),
    ("02LARGE1000C1Z0", 171001),
    ("09LARGE1000C1ZM", 226001),
    ("24LARGE1000C1ZU", 380001),
    ("27LARGE1000C1ZO", 400001),
    ("29LARGE1000C1ZK", 560001),
    ("33LARGE1000C1ZV", 600001),
    ("36LARGE1000C1ZP", 500001),
    ("37LARGE1000C1ZN", 520001),
];

const GOODS: [&str; 4] = ["61091000", "391520", "100630", "84713010"];
const SERVICES: [&str; 2] = ["998311", "998312"];
/// GST rates in basis points.
const RATES_BP: [u64; 5] = [500, 1200, 1800, 2800, 4000];

/// A small deterministic generator (xorshift), so runs are reproducible per seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `paise` as rupees with two decimals.
fn rupees(paise: u64) -> String {
    format!("{}.{:02}", paise / 100, paise % 100)
}

/// `value × rate_bp / 10000`, rounded half away from zero (all values are non-negative).
fn percent(value: u64, rate_bp: u64, divisor: u64) -> u64 {
    let numerator = value * rate_bp;
    let denominator = 10_000 * divisor;
    (numerator + denominator / 2) / denominator
}

/// One invoice of seller `seller` (index into [`SELLERS`]), numbered `number`, dated `date`.
pub fn invoice(rng: &mut Rng, seller: usize, number: &str, date: &str) -> Vec<u8> {
    let (seller_gstin, seller_pin) = SELLERS[seller];
    let seller_state = &seller_gstin[..2];
    let export = rng.below(10) == 0;
    let credit_note = !export && rng.below(10) == 0;
    let (buyer_gstin, buyer_pin) =
        SELLERS[(seller + 1 + rng.below(SELLERS.len() as u64 - 1) as usize) % SELLERS.len()];
    let buyer_state = if export { "96" } else { &buyer_gstin[..2] };
    let intra = !export && buyer_state == seller_state;
    let items = 1 + rng.below(50) as usize;
    let mut item_json = String::with_capacity(items * 260);
    let (mut ass_total, mut cgst_total, mut igst_total, mut grand_total) = (0u64, 0u64, 0u64, 0u64);
    for index in 0..items {
        let service = rng.below(5) == 0;
        let hsn = if service {
            SERVICES[rng.below(2) as usize]
        } else {
            GOODS[rng.below(4) as usize]
        };
        let qty = 1 + rng.below(100);
        let unit_price = 100 + rng.below(500_000); // paise
        let gross = qty * unit_price;
        let discount = gross * rng.below(10) / 100;
        let assessable = gross - discount;
        let rate_bp = RATES_BP[rng.below(RATES_BP.len() as u64) as usize];
        let (tax_fields, taxes) = if intra {
            let half = percent(assessable, rate_bp, 2);
            cgst_total += half;
            (
                format!(r#""CgstAmt":{},"SgstAmt":{}"#, rupees(half), rupees(half)),
                2 * half,
            )
        } else {
            let igst = percent(assessable, rate_bp, 1);
            igst_total += igst;
            (format!(r#""IgstAmt":{}"#, rupees(igst)), igst)
        };
        let total = assessable + taxes;
        ass_total += assessable;
        grand_total += total;
        if index > 0 {
            item_json.push(',');
        }
        let unit = if service {
            String::new()
        } else {
            r#""Unit":"NOS","#.to_owned()
        };
        let _ = write!(
            item_json,
            r#"{{"SlNo":"{}","IsServc":"{}","PrdDesc":"Item {} of a load test","HsnCd":"{hsn}","Qty":{qty},{unit}"UnitPrice":{},"TotAmt":{},"Discount":{},"AssAmt":{},"GstRt":{},{tax_fields},"TotItemVal":{}}}"#,
            index + 1,
            if service { "Y" } else { "N" },
            index + 1,
            rupees(unit_price),
            rupees(gross),
            rupees(discount),
            rupees(assessable),
            rate_bp as f64 / 100.0,
            rupees(total),
        );
    }
    let buyer = if export {
        r#"{"Gstin":"URP","LglNm":"Overseas Buyer Inc","Pos":"96","Addr1":"1 Main Street","Loc":"New York","Pin":999999,"Stcd":"96"}"#.to_owned()
    } else {
        format!(
            r#"{{"Gstin":"{buyer_gstin}","LglNm":"Sandbox Large {buyer_state}","Pos":"{buyer_state}","Addr1":"2 Market Road","Loc":"City","Pin":{buyer_pin},"Stcd":"{buyer_state}"}}"#
        )
    };
    let supply = if export { "EXPWP" } else { "B2B" };
    let doc_type = if credit_note { "CRN" } else { "INV" };
    let export_details = if export {
        r#","ExpDtls":{"ForCur":"USD","CntCode":"US"}"#
    } else {
        ""
    };
    let tax_totals = if intra {
        format!(
            r#""CgstVal":{},"SgstVal":{}"#,
            rupees(cgst_total),
            rupees(cgst_total)
        )
    } else {
        format!(r#""IgstVal":{}"#, rupees(igst_total))
    };
    format!(
        r#"{{"Version":"1.1","TranDtls":{{"TaxSch":"GST","SupTyp":"{supply}"}},"DocDtls":{{"Typ":"{doc_type}","No":"{number}","Dt":"{date}"}},"SellerDtls":{{"Gstin":"{seller_gstin}","LglNm":"Sandbox Large {seller_state}","Addr1":"1 Industrial Estate","Loc":"City","Pin":{seller_pin},"Stcd":"{seller_state}"}},"BuyerDtls":{buyer},"ItemList":[{item_json}],"ValDtls":{{"AssVal":{},{tax_totals},"TotInvVal":{}}}{export_details}}}"#,
        rupees(ass_total),
        rupees(grand_total),
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_in_paise() {
        assert_eq!(rupees(123456), "1234.56");
        assert_eq!(rupees(5), "0.05");
        assert_eq!(percent(1000, 500, 2), 25);
        assert_eq!(percent(1, 500, 1), 0);
        assert_eq!(percent(10, 500, 1), 1, "0.5 paise rounds away from zero");
    }
}
