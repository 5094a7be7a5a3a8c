//! The HSN/SAC master (`08` §7, D-31): the GST portal's directory, shipped as `data/hsn.txt`.

use std::sync::LazyLock;

static SHIPPED: LazyLock<HsnMaster> = LazyLock::new(|| {
    let text = include_str!("../../data/hsn.txt");
    let master = HsnMaster::from_codes(text.lines().map(str::trim).filter(|l| !l.is_empty()));
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    assert!(
        master.len() == lines,
        "embedded master hsn.txt: {} lines but {} distinct well-formed codes",
        lines,
        master.len()
    );
    master
});

/// A set of HSN/SAC codes, each remembered with its number of digits.
///
/// The existence check runs for every invoice item, so a code is packed into one `u32`
/// (`value * 10 + digits`) and looked up by binary search in a sorted vector: no allocation, no
/// hashing, and `0101` stays distinct from `101` or `010100`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HsnMaster {
    keys: Vec<u32>,
}

impl HsnMaster {
    /// The directory shipped with the product (`data/hsn.txt`, 22,464 codes), parsed once on first
    /// use.
    pub fn shipped() -> &'static HsnMaster {
        &SHIPPED
    }

    /// Builds a master from code texts, for an operator-supplied directory
    /// (`validation.hsn_master`). As `08` §7 prescribes for loading, codes that are not exactly
    /// 2, 4, 6 or 8 ASCII digits are ignored (the published file has seven such rows).
    pub fn from_codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> HsnMaster {
        let mut keys: Vec<u32> = codes.into_iter().filter_map(key).collect();
        keys.sort_unstable();
        keys.dedup();
        HsnMaster { keys }
    }

    /// Whether `code` is in the directory **with the same number of digits** (`08` §7): a listed
    /// 6-digit sub-heading does not make an unlisted 8-digit tariff item valid, nor the reverse.
    /// Anything that is not 2, 4, 6 or 8 ASCII digits is absent. The schema and minimum-digit
    /// rules (4/6/8 digits) are the caller's; 2-digit chapters are in the directory.
    pub fn contains(&self, code: &str) -> bool {
        key(code).is_some_and(|k| self.keys.binary_search(&k).is_ok())
    }

    /// Number of distinct codes.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the master holds no code at all.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Packs a 2/4/6/8-digit code as `value * 10 + digits` (at most 999,999,998: fits a `u32`).
fn key(code: &str) -> Option<u32> {
    let bytes = code.as_bytes();
    if !matches!(bytes.len(), 2 | 4 | 6 | 8) {
        return None;
    }
    let mut value: u32 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Some(value * 10 + bytes.len() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_directory_loads() {
        assert_eq!(HsnMaster::shipped().len(), 22_464);
    }

    #[test]
    fn positives_of_08_section_7() {
        let m = HsnMaster::shipped();
        for code in ["1001", "391520", "61091000", "998311", "0101", "01"] {
            assert!(m.contains(code), "{code} should be in the master");
        }
    }

    #[test]
    fn negatives_of_08_section_7() {
        let m = HsnMaster::shipped();
        // Absent although their 6-digit sub-headings are listed.
        for code in ["39152099", "61091099", "84713099"] {
            assert!(m.contains(&code[..6]), "{code}'s sub-heading is listed");
            assert!(!m.contains(code), "{code} must be absent");
        }
        // Malformed rows of the published file, and wrong lengths.
        for code in ["2307 00", "30559", "100", "", "1001 ", "１００１", "10010"] {
            assert!(!m.contains(code), "{code:?} must be absent");
        }
    }

    #[test]
    fn digits_count_is_part_of_the_key() {
        let m = HsnMaster::from_codes(["0101", "2307 00", "30559", "x1", "12345678"]);
        assert_eq!(m.len(), 2);
        assert!(m.contains("0101"));
        assert!(!m.contains("101") && !m.contains("010100") && !m.contains("00000101"));
        assert!(m.contains("12345678") && !m.contains("1234"));
        assert!(HsnMaster::from_codes([]).is_empty());
    }
}
