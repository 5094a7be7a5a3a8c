//! PIN codes: the PIN-to-state check (`08` §4, `04` P-14, D-30) and PIN centroids for e-way bill
//! distance estimates (`06` §5.6, D-43).
//!
//! Both come from tables derived from the India Post directory by `scripts/gen-masters.py`
//! (`data/pins.csv`, `data/pin-prefix-centroids.csv`) plus the spec's `data/pin-prefix.csv`.

use std::sync::LazyLock;

use super::csv;

/// Mean Earth radius (IUGG), in km.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A point in decimal degrees. Floats are fine: these are approximate coordinates, never money.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

/// PIN → states and PIN → centroid, one entry per directory PIN, in parallel sorted vectors so a
/// lookup is one binary search over `pins` (about 19,600 entries).
struct PinTable {
    pins: Vec<u32>,
    /// `states[i]` is the range of `state_pool` holding the state codes of `pins[i]`.
    states: Vec<(u32, u32)>,
    state_pool: Vec<u8>,
    centroids: Vec<Option<GeoPoint>>,
}

static PINS: LazyLock<PinTable> = LazyLock::new(|| {
    let name = "pins.csv";
    let rows = csv::table(
        name,
        include_str!("../../data/pins.csv"),
        &["pin", "states", "lat", "lon"],
    );
    let mut t = PinTable {
        pins: Vec::with_capacity(rows.len()),
        states: Vec::with_capacity(rows.len()),
        state_pool: Vec::new(),
        centroids: Vec::with_capacity(rows.len()),
    };
    for row in &rows {
        let pin: u32 = parse(name, &row[0]);
        assert!(
            (100_000..=999_999).contains(&pin) && t.pins.last().is_none_or(|&last| last < pin),
            "embedded master {name}: PIN {pin} out of range or out of order"
        );
        let start = t.state_pool.len() as u32;
        t.state_pool
            .extend(row[1].split_whitespace().map(|s| parse::<u8>(name, s)));
        t.pins.push(pin);
        t.states.push((start, t.state_pool.len() as u32));
        t.centroids.push(point(name, &row[2], &row[3]));
    }
    t
});

/// Centroid of each 3-digit prefix (index = prefix), the fallback of `06` §5.6.
static PREFIX_CENTROIDS: LazyLock<Vec<Option<GeoPoint>>> = LazyLock::new(|| {
    let name = "pin-prefix-centroids.csv";
    let rows = csv::table(
        name,
        include_str!("../../data/pin-prefix-centroids.csv"),
        &["prefix", "lat", "lon"],
    );
    let mut by_prefix = vec![None; 1000];
    for row in &rows {
        let prefix: usize = parse(name, &row[0]);
        let p = point(name, &row[1], &row[2]);
        assert!(
            (100..1000).contains(&prefix) && p.is_some() && by_prefix[prefix].is_none(),
            "embedded master {name}: bad or duplicate row for prefix {prefix}"
        );
        by_prefix[prefix] = p;
    }
    by_prefix
});

/// `pin-prefix.csv`: (state, first three digits from, to), inclusive. Some 44 rows: a linear scan
/// is as fast as anything cleverer.
static PREFIX_RANGES: LazyLock<Vec<(u8, u32, u32)>> = LazyLock::new(|| {
    let name = "pin-prefix.csv";
    csv::table(
        name,
        include_str!("../../data/pin-prefix.csv"),
        &["state_code", "first3_from", "first3_to"],
    )
    .iter()
    .map(|row| {
        let range = (
            parse(name, &row[0]),
            parse(name, &row[1]),
            parse(name, &row[2]),
        );
        assert!(
            100 <= range.1 && range.1 <= range.2 && range.2 <= 999,
            "embedded master {name}: bad range {row:?}"
        );
        range
    })
    .collect()
});

fn parse<T: std::str::FromStr>(name: &str, text: &str) -> T {
    text.parse()
        .unwrap_or_else(|_| panic!("embedded master {name}: bad number {text:?}"))
}

fn point(name: &str, lat: &str, lon: &str) -> Option<GeoPoint> {
    if lat.is_empty() && lon.is_empty() {
        return None;
    }
    let p = GeoPoint {
        lat: parse(name, lat),
        lon: parse(name, lon),
    };
    // The generator keeps only coordinates inside India's bounding box.
    assert!(
        (6.0..=37.5).contains(&p.lat) && (68.0..=97.5).contains(&p.lon),
        "embedded master {name}: point {p:?} outside India"
    );
    Some(p)
}

fn index(pin: u32) -> Option<usize> {
    PINS.pins.binary_search(&pin).ok()
}

/// The GST state codes the India Post directory lists `pin` under (`08` §4.2 mapping), sorted;
/// empty when the PIN is absent or listed only with state `NA`/blank. Border PINs have several
/// (`396193` → `24`, `26`). The directory never lists the legacy codes `25`/`28`.
pub fn pin_states(pin: u32) -> &'static [u8] {
    let table: &'static PinTable = &PINS;
    match index(pin) {
        Some(i) => {
            let (start, end) = table.states[i];
            &table.state_pool[start as usize..end as usize]
        }
        None => &[],
    }
}

/// The PIN-to-state check of `08` §4.1 (`04` P-14), the one algorithm for every address block:
///
/// 1. `96`/`97`: always true (no check);
/// 2. the directory lists `pin` under `state`;
/// 3. else the first three digits of `pin` fall in an inclusive `pin-prefix.csv` range of `state`
///    (this also absorbs the directory's slips, e.g. `799001` listed under Telangana only);
/// 4. legacy `25` accepts whatever steps 2–3 accept for `26`, and `28` whatever they accept for
///    `37`.
///
/// `pin` is expected to be a 6-digit PIN (the schema checks that); anything else matches no
/// prefix range. No allocation: one binary search and a scan of some 44 ranges.
pub fn pin_matches_state(pin: u32, state: u8) -> bool {
    match state {
        96 | 97 => true,
        25 => accepts(pin, 25) || accepts(pin, 26),
        28 => accepts(pin, 28) || accepts(pin, 37),
        _ => accepts(pin, state),
    }
}

/// Steps 2–3 of `08` §4.1 for one state code.
fn accepts(pin: u32, state: u8) -> bool {
    if pin_states(pin).contains(&state) {
        return true;
    }
    let prefix = pin / 1000;
    PREFIX_RANGES
        .iter()
        .any(|&(s, from, to)| s == state && (from..=to).contains(&prefix))
}

/// The point e-way bill distances are measured from (`06` §5.6, D-43): the PIN's own centroid
/// (median of its offices' usable coordinates, outliers dropped; see `data/README.md`), else the
/// per-coordinate median of the centroids of the PINs sharing its first three digits (for PINs
/// without coordinates or absent from the directory), else `None` (distance unknown, `4030`).
pub fn pin_centroid(pin: u32) -> Option<GeoPoint> {
    if let Some(p) = index(pin).and_then(|i| PINS.centroids[i]) {
        return Some(p);
    }
    if !(100_000..=999_999).contains(&pin) {
        return None;
    }
    PREFIX_CENTROIDS[(pin / 1000) as usize]
}

/// Great-circle distance in km by the haversine formula on a sphere of the mean Earth radius
/// (6371.0088 km). Within India the spherical approximation errs by well under 0.5 %, far below
/// the gap between straight-line and road distance that `ewb.road_factor` covers.
pub fn great_circle_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (phi1, phi2) = (a.lat.to_radians(), b.lat.to_radians());
    let dphi = phi2 - phi1;
    let dlambda = (b.lon - a.lon).to_radians();
    let h = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load() {
        assert_eq!(PINS.pins.len(), 19_586);
        assert!(PINS.centroids.iter().filter(|c| c.is_some()).count() > 19_500);
        assert_eq!(PREFIX_CENTROIDS.iter().filter(|c| c.is_some()).count(), 405);
        assert_eq!(PREFIX_RANGES.len(), 44);
    }

    #[test]
    fn border_pin_passes_for_each_of_its_states() {
        assert_eq!(pin_states(396193), [24, 26]);
        assert!(pin_matches_state(396193, 24));
        assert!(pin_matches_state(396193, 26));
        assert!(
            pin_matches_state(396193, 25),
            "legacy 25 accepts what 26 accepts"
        );
        assert!(!pin_matches_state(396193, 27));
    }

    #[test]
    fn prefix_fallback_absorbs_directory_slips() {
        assert!(!pin_states(799001).contains(&16));
        assert!(pin_matches_state(799001, 16));
        assert!(!pin_states(334002).contains(&8));
        assert!(pin_matches_state(334002, 8));
    }

    #[test]
    fn ordinary_pins() {
        assert_eq!(pin_states(518001), [37]);
        assert!(pin_matches_state(518001, 37));
        assert!(
            pin_matches_state(518001, 28),
            "legacy 28 accepts what 37 accepts"
        );
        assert!(pin_matches_state(562160, 29));
        assert!(pin_matches_state(110001, 7));
        assert!(!pin_matches_state(110001, 29));
        assert!(!pin_matches_state(110001, 25));
        assert!(!pin_matches_state(110001, 28));
    }

    #[test]
    fn other_country_and_territory_are_never_checked() {
        for pin in [110001, 999999, 560014, 0] {
            assert!(pin_matches_state(pin, 96));
            assert!(pin_matches_state(pin, 97));
        }
    }

    #[test]
    fn absent_pin_is_judged_by_prefix() {
        assert!(
            pin_states(560014).is_empty(),
            "560014 is not in the directory"
        );
        assert!(pin_matches_state(560014, 29));
        assert!(!pin_matches_state(560014, 33));
        // A PIN listed only with state NA.
        assert!(pin_states(121999).is_empty() && index(121999).is_some());
        assert!(pin_matches_state(121999, 6));
        assert!(!pin_matches_state(999999, 7));
    }

    #[test]
    fn centroids() {
        let delhi = pin_centroid(110001).unwrap();
        assert!((delhi.lat - 28.62).abs() < 0.05 && (delhi.lon - 77.21).abs() < 0.05);
        // Absent from the directory: its prefix's centroid, near Bengaluru.
        let absent = pin_centroid(560014).unwrap();
        assert_eq!(Some(absent), PREFIX_CENTROIDS[560]);
        assert!(
            great_circle_km(
                absent,
                GeoPoint {
                    lat: 12.97,
                    lon: 77.59
                }
            ) < 20.0
        );
        // In the directory but without usable coordinates.
        assert!(PINS.centroids[index(176057).unwrap()].is_none());
        assert_eq!(pin_centroid(176057), PREFIX_CENTROIDS[176]);
        assert!(pin_centroid(176057).is_some());
        assert_eq!(pin_centroid(999_999), None);
        assert_eq!(pin_centroid(42), None);
    }

    #[test]
    fn great_circle_sanity() {
        let delhi = pin_centroid(110001).unwrap();
        let mumbai = pin_centroid(400001).unwrap();
        let d = great_circle_km(delhi, mumbai);
        assert!((1100.0..=1200.0).contains(&d), "Delhi-Mumbai {d} km");
        assert!((great_circle_km(mumbai, delhi) - d).abs() < 1e-9);
        assert_eq!(great_circle_km(delhi, delhi), 0.0);
        // One degree of latitude on the mean sphere.
        let one = great_circle_km(
            GeoPoint { lat: 0.0, lon: 0.0 },
            GeoPoint { lat: 1.0, lon: 0.0 },
        );
        assert!((one - 111.195).abs() < 0.01, "{one}");
    }
}
