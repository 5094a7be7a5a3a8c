//! GSTIN check character (`08` §2.2).
//!
//! NIC judges GSTINs by its register, not by this character (its own sandbox GSTINs fail it), so
//! the portal uses it only for register-import warnings and the optional ship-to check (D-60).

const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The check character the algorithm expects for the first 14 characters, or `None` when a
/// character is outside `[0-9A-Z]` or the input is shorter than 14.
pub fn expected_check_character(gstin: &str) -> Option<char> {
    let bytes = gstin.as_bytes();
    if bytes.len() < 14 {
        return None;
    }
    let mut total = 0usize;
    for (index, byte) in bytes[..14].iter().enumerate() {
        let value = ALPHABET.iter().position(|c| c == byte)?;
        let factor = if index % 2 == 0 { 1 } else { 2 };
        let product = factor * value;
        total += product / 36 + product % 36;
    }
    Some(ALPHABET[(36 - total % 36) % 36] as char)
}

/// True when the 15th character is the expected check character.
pub fn check_character_is_valid(gstin: &str) -> bool {
    gstin.len() == 15 && expected_check_character(gstin) == gstin.chars().nth(14)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_gstins_pass() {
        for gstin in [
            "27AAPFU0939F1ZV",
            "29AAGCB7383J1Z4",
            "06AAACA7205Q1ZK",
            "05AAACG2140A1ZL",
            "24ACPPM5624F1ZK",
        ] {
            assert!(check_character_is_valid(gstin), "{gstin}");
        }
    }

    #[test]
    fn nic_sandbox_gstins_fail_with_the_expected_character() {
        let table = [
            ("02AMBPG7773M002", 'W'),
            ("01AMBPG7773M002", 'Y'),
            ("36AMBPG7773M002", 'L'),
            ("29AWGPV7107B1Z1", 'F'),
            ("09AAAPG7885R002", 'T'),
            ("37ARZPT4384Q1MT", 'X'),
            ("29AKLPM8755F1Z2", 'J'),
            ("24AAFCD5862R005", '1'),
            ("27AAAPI3182M002", 'L'),
            ("33AAGCB1286Q003", 'B'),
        ];
        for (gstin, expected) in table {
            assert!(!check_character_is_valid(gstin), "{gstin}");
            assert_eq!(expected_check_character(gstin), Some(expected), "{gstin}");
        }
    }

    /// The check character needs the first 14 characters: exactly 14 are enough, fewer are not.
    #[test]
    fn fourteen_characters_give_the_check_character_and_fewer_give_none() {
        assert_eq!(expected_check_character("27AAPFU0939F1Z"), Some('V'));
        assert_eq!(expected_check_character("29AAGCB7383J1Z"), Some('4'));
        assert_eq!(expected_check_character("27AAPFU0939F1"), None);
        assert_eq!(expected_check_character(""), None);
        assert_eq!(
            expected_check_character("27aapfu0939f1z"),
            None,
            "lower case"
        );
        assert!(!check_character_is_valid("27AAPFU0939F1Z"));
        assert!(!check_character_is_valid("27AAPFU0939F1ZVX"));
    }

    #[test]
    fn large_sandbox_taxpayers_pass() {
        for gstin in [
            "01LARGE1000C1Z2",
            "24LARGE1000C1ZU",
            "33LARGE1000C1ZV",
            "02LARGE1000C1Z0",
            "27LARGE1000C1ZO",
            "36LARGE1000C1ZP",
            "09LARGE1000C1ZM",
            "29LARGE1000C1ZK",
            "37LARGE1000C1ZN",
        ] {
            assert!(check_character_is_valid(gstin), "{gstin}");
        }
    }
}
