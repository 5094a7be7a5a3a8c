//! The schema's regular expressions (`03`), each with a hand-written matcher.
//!
//! The `regex` crate has no look-ahead, and these patterns are simple character-class shapes
//! checked on every field of every invoice, so each gets a direct test. The regex text is kept
//! for the error message, which quotes it exactly as NIC does. Where a NIC pattern puts `|`
//! inside a character class (`[A-Z|a-z]`) the `|` is a literal member of the class, and the
//! matcher follows the pattern literally.

/// A schema pattern: its regex text (for messages) and its matcher.
#[derive(Debug)]
pub struct Pattern {
    pub regex: &'static str,
    pub test: fn(&str) -> bool,
}

fn all(text: &str, allowed: impl Fn(u8) -> bool) -> bool {
    text.bytes().all(allowed)
}

fn len_between(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.len())
}

fn is_upper_alnum(b: u8) -> bool {
    b.is_ascii_digit() || b.is_ascii_uppercase()
}

fn gstin_shape(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 15
        && bytes[..2].iter().all(u8::is_ascii_digit)
        && bytes[2..].iter().all(|&b| is_upper_alnum(b))
}

fn not_all_zeros(text: &str) -> bool {
    !text.bytes().all(|b| b == b'0')
}

pub static FREE_TEXT: Pattern = Pattern {
    regex: "^([^\\\"])*$",
    test: |s| !s.contains(['"', '\\']),
};

pub static TAX_SCH: Pattern = Pattern {
    regex: "^(GST)$",
    test: |s| s == "GST",
};

pub static SUP_TYP: Pattern = Pattern {
    regex: "(?i)^((B2B)|(SEZWP)|(SEZWOP)|(EXPWP)|(EXPWOP)|(DEXP))$",
    test: |s| {
        ["B2B", "SEZWP", "SEZWOP", "EXPWP", "EXPWOP", "DEXP"]
            .iter()
            .any(|c| c.eq_ignore_ascii_case(s))
    },
};

pub static GSTIN: Pattern = Pattern {
    regex: "^([0-9]{2}[0-9A-Z]{13})$",
    test: gstin_shape,
};

pub static GSTIN_OR_URP: Pattern = Pattern {
    regex: "^(([0-9]{2}[0-9A-Z]{13})|URP)$",
    test: |s| s == "URP" || gstin_shape(s),
};

pub static DOC_NO: Pattern = Pattern {
    regex: "^([a-zA-Z1-9]{1}[a-zA-Z0-9\\/-]{0,15})$",
    test: |s| {
        let bytes = s.as_bytes();
        len_between(s, 1, 16)
            && (bytes[0].is_ascii_alphabetic() || (b'1'..=b'9').contains(&bytes[0]))
            && all(&s[1..], |b| {
                b.is_ascii_alphanumeric() || b == b'/' || b == b'-'
            })
    },
};

pub static PREC_INV_NO: Pattern = Pattern {
    regex: "^[1-9a-zA-Z][0-9a-zA-Z/-]{0,15}$",
    test: |s| (DOC_NO.test)(s),
};

pub static STATE_CODE: Pattern = Pattern {
    regex: "^(?!0+$)([0-9]{1,2})$",
    test: |s| len_between(s, 1, 2) && all(s, |b| b.is_ascii_digit()) && not_all_zeros(s),
};

pub static PHONE: Pattern = Pattern {
    regex: "^([0-9]{6,12})$",
    test: |s| len_between(s, 6, 12) && all(s, |b| b.is_ascii_digit()),
};

pub static EMAIL: Pattern = Pattern {
    regex: "^[a-zA-Z0-9+_.-]+@[a-zA-Z0-9.-]+$",
    test: |s| match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && all(local, |b| b.is_ascii_alphanumeric() || b"+_.-".contains(&b))
                && all(domain, |b| b.is_ascii_alphanumeric() || b".-".contains(&b))
        }
        None => false,
    },
};

pub static SL_NO: Pattern = Pattern {
    regex: "^([0-9]{1,6})$",
    test: |s| len_between(s, 1, 6) && all(s, |b| b.is_ascii_digit()),
};

pub static HSN: Pattern = Pattern {
    regex: "^(?!0+$)([0-9]{4}|[0-9]{6}|[0-9]{8})$",
    test: |s| matches!(s.len(), 4 | 6 | 8) && all(s, |b| b.is_ascii_digit()) && not_all_zeros(s),
};

pub static UNIT: Pattern = Pattern {
    regex: "^([A-Z|a-z]{3,8})$",
    test: |s| len_between(s, 3, 8) && all(s, |b| b.is_ascii_alphabetic() || b == b'|'),
};

pub static ORG_CNTRY: Pattern = Pattern {
    regex: "^([A-Z|a-z]{2})$",
    test: |s| s.len() == 2 && all(s, |b| b.is_ascii_alphabetic() || b == b'|'),
};

pub static PORT: Pattern = Pattern {
    regex: "^[0-9|A-Z|a-z]{2,10}$",
    test: |s| len_between(s, 2, 10) && all(s, |b| b.is_ascii_alphanumeric() || b == b'|'),
};

pub static FOR_CUR: Pattern = Pattern {
    regex: "^[A-Z|a-z]{3,16}$",
    test: |s| len_between(s, 3, 16) && all(s, |b| b.is_ascii_alphabetic() || b == b'|'),
};

pub static CNT_CODE: Pattern = Pattern {
    regex: "^([A-Z]{2})$",
    test: |s| s.len() == 2 && all(s, |b| b.is_ascii_uppercase()),
};

pub static TRANS_MODE: Pattern = Pattern {
    regex: "^([1-4]{1})?$",
    test: |s| s.is_empty() || (s.len() == 1 && (b'1'..=b'4').contains(&s.as_bytes()[0])),
};

pub static TRANS_DOC_NO: Pattern = Pattern {
    regex: "^([a-zA-Z0-9\\/-]{1,15})$",
    test: |s| {
        len_between(s, 1, 15) && all(s, |b| b.is_ascii_alphanumeric() || b == b'/' || b == b'-')
    },
};

pub static VEH_NO: Pattern = Pattern {
    regex: "^([A-Z|a-z|0-9]{4,20})$",
    test: |s| len_between(s, 4, 20) && all(s, |b| b.is_ascii_alphanumeric() || b == b'|'),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_follow_the_spec_patterns() {
        assert!((GSTIN.test)("29AWGPV7107B1Z1"));
        assert!(!(GSTIN.test)("29awgpv7107b1z1"));
        assert!(!(GSTIN.test)("2XAWGPV7107B1Z1"));
        assert!((GSTIN_OR_URP.test)("URP"));
        assert!((DOC_NO.test)("DOC/001"));
        assert!(!(DOC_NO.test)("0DOC"));
        assert!(!(DOC_NO.test)("/DOC"));
        assert!(!(DOC_NO.test)("DOC 1"));
        assert!(!(DOC_NO.test)("A2345678901234567"));
        assert!((STATE_CODE.test)("7") && (STATE_CODE.test)("07"));
        assert!(!(STATE_CODE.test)("0") && !(STATE_CODE.test)("00") && !(STATE_CODE.test)("123"));
        assert!((HSN.test)("1001") && (HSN.test)("998311") && (HSN.test)("61091000"));
        assert!(!(HSN.test)("0000") && !(HSN.test)("10011") && !(HSN.test)("12A4"));
        assert!((EMAIL.test)("abc@gmail.com") && !(EMAIL.test)("abc@") && !(EMAIL.test)("a b@c.d"));
        assert!((TRANS_MODE.test)("4") && !(TRANS_MODE.test)("5"));
        assert!(
            (FREE_TEXT.test)("5th block, kuvempu layout")
                && !(FREE_TEXT.test)("a\"b")
                && !(FREE_TEXT.test)("a\\b")
        );
    }
}
