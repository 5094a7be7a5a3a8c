//! Task ids (`09` §2.1): 26 characters of upper-case Crockford base32, a 48-bit millisecond
//! time then 80 random bits, so ids sort by submission and cannot be guessed.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const TASK_ID_LEN: usize = 26;

/// A new task id for a task submitted at `millis` (milliseconds since the epoch).
pub fn new_task_id(millis: u64) -> String {
    let mut random = [0_u8; 10];
    SystemRandom::new()
        .fill(&mut random)
        .expect("the system's random source works");
    encode(millis, random)
}

fn encode(millis: u64, random: [u8; 10]) -> String {
    let mut value: u128 = u128::from(millis & 0xFFFF_FFFF_FFFF) << 80;
    for (index, byte) in random.iter().enumerate() {
        value |= u128::from(*byte) << (72 - 8 * index);
    }
    // 26 characters of 5 bits carry 130 bits: the first carries the top 3 of the 128.
    (0..TASK_ID_LEN)
        .map(|position| {
            let shift = 5 * (TASK_ID_LEN - 1 - position);
            char::from(CROCKFORD[((value >> shift) & 0x1F) as usize])
        })
        .collect()
}

/// A task id as a caller wrote it, upper-cased (paths reach handlers lower-cased), or `None`
/// when it cannot be one.
pub fn parse_task_id(text: &str) -> Option<String> {
    let upper = text.trim().to_ascii_uppercase();
    (upper.len() == TASK_ID_LEN && upper.bytes().all(|b| CROCKFORD.contains(&b))).then_some(upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_26_crockford_characters_in_time_order() {
        let first = new_task_id(1_700_000_000_000);
        let later = new_task_id(1_700_000_000_001);
        assert_eq!(first.len(), TASK_ID_LEN);
        assert!(first.bytes().all(|b| CROCKFORD.contains(&b)), "{first}");
        assert!(first < later);
        assert_ne!(new_task_id(5), new_task_id(5), "random part");
        assert_eq!(encode(0, [0; 10]), "0".repeat(26));
        assert_eq!(encode(u64::MAX, [0xFF; 10]), format!("7{}", "Z".repeat(25)));
    }

    #[test]
    fn ids_are_read_back_in_any_case() {
        let id = new_task_id(1_700_000_000_000);
        assert_eq!(parse_task_id(&id.to_ascii_lowercase()), Some(id.clone()));
        assert_eq!(parse_task_id("short"), None);
        assert_eq!(
            parse_task_id(&format!("{}U", &id[..25])),
            None,
            "U is not Crockford"
        );
    }
}
