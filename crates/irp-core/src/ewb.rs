//! E-way bill arithmetic (`06` §5.3–§5.6): validity, the PIN-to-PIN distance estimate, the
//! plausibility of a given distance, and vehicle-number formats.
//!
//! The estimate (D-43) is the great-circle distance between the two PINs' centroids (from the
//! India Post directory, `masters::pin_centroid`) times a road factor, rounded to whole km. Roads
//! are longer than straight lines: across Indian city pairs the ratio of road to great-circle
//! distance is typically 1.2–1.4 and rarely beyond 1.8 in hills, coasts or around water, so the
//! default factor 1.3 is usually within ±15 % of the road distance and can be ~30 % off in
//! mountain terrain. That is why a given distance is refused only when it is implausible
//! (`distance_is_plausible`), never for merely differing from the estimate.

use chrono::{Days, NaiveDate, NaiveDateTime};

use crate::codes::Code;
use crate::error::ErrorDetail;
use crate::invoice::{DocType, EwbDtls, Invoice, Number};
use crate::masters::{self, GeoPoint};

/// The PIN that means "outside India".
pub const FOREIGN_PIN: u32 = 999_999;

/// Days of validity: one per 200 km (20 km for over-dimensional cargo) or part of it, at least
/// one (CGST Rule 138(10)).
pub fn validity_days(distance_km: u32, over_dimensional: bool) -> u64 {
    let per_day = if over_dimensional { 20 } else { 200 };
    u64::from(distance_km.max(1).div_ceil(per_day))
}

/// `EwbValidTill`: the calendar date of `ewb_dt` plus the validity days, at 23:59:00.
pub fn valid_till(
    ewb_dt: NaiveDateTime,
    distance_km: u32,
    over_dimensional: bool,
) -> NaiveDateTime {
    let last_day = ewb_dt.date() + Days::new(validity_days(distance_km, over_dimensional));
    last_day
        .and_hms_opt(23, 59, 0)
        .expect("23:59:00 is a valid time")
}

/// The estimate between two PINs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DistanceEstimate {
    pub great_circle_km: f64,
    /// Great-circle distance × road factor, rounded to whole km (at least 1).
    pub road_km: u32,
}

/// Estimates the road distance between two PINs, or `None` when either has no centroid, not
/// even from its three-digit prefix (then `Distance: 0` is `4030`).
pub fn estimate_distance(from_pin: u32, to_pin: u32, road_factor: f64) -> Option<DistanceEstimate> {
    let from: GeoPoint = masters::pin_centroid(from_pin)?;
    let to: GeoPoint = masters::pin_centroid(to_pin)?;
    let great_circle_km = masters::great_circle_km(from, to);
    let road_km = (great_circle_km * road_factor).round().max(1.0) as u32;
    Some(DistanceEstimate {
        great_circle_km,
        road_km,
    })
}

/// A given distance is refused (`4013`) only when it is physically impossible (below 0.9 × the
/// straight line) or implausibly long (above `max_factor` × the estimate + 50 km), D-43.
pub fn distance_is_plausible(given_km: u32, estimate: &DistanceEstimate, max_factor: f64) -> bool {
    let given = f64::from(given_km);
    given >= 0.9 * estimate.great_circle_km
        && given <= max_factor * f64::from(estimate.road_km) + 50.0
}

/// Whether a normalised vehicle number has one of the accepted formats (`06` §5.6): standard
/// registration, Bharat series, or temporary registration.
pub fn vehicle_number_is_valid(normalised: &str) -> bool {
    standard_registration(normalised)
        || bharat_series(normalised)
        || temporary_registration(normalised)
}

/// `^[A-Z]{2}[0-9]{1,2}[A-Z]{0,3}[0-9]{4}$`
fn standard_registration(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < 7 || !bytes[..2].iter().all(u8::is_ascii_uppercase) {
        return false;
    }
    let rest = &bytes[2..];
    let district_digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if district_digits == rest.len() {
        // No series letters: the district's 1–2 digits run straight into the 4-digit number.
        return (5..=6).contains(&district_digits);
    }
    if !(1..=2).contains(&district_digits) {
        return false;
    }
    let rest = &rest[district_digits..];
    let series = rest.iter().take_while(|b| b.is_ascii_uppercase()).count();
    let number = &rest[series..];
    series <= 3 && number.len() == 4 && number.iter().all(u8::is_ascii_digit)
}

/// `^[0-9]{2}BH[0-9]{4}[A-Z]{1,2}$`
fn bharat_series(text: &str) -> bool {
    let bytes = text.as_bytes();
    (9..=10).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_digit)
        && &bytes[2..4] == b"BH"
        && bytes[4..8].iter().all(u8::is_ascii_digit)
        && bytes[8..].iter().all(u8::is_ascii_uppercase)
}

/// `^TR[A-Z0-9]{5,18}$`
fn temporary_registration(text: &str) -> bool {
    let bytes = text.as_bytes();
    (7..=20).contains(&bytes.len())
        && bytes.starts_with(b"TR")
        && bytes[2..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The transport details of an e-way bill request: `EwbDtls` of a generate request, or the
/// request of Generate EWB by IRN, after binding (vehicle number normalised, codes upper-cased).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transport {
    pub trans_id: Option<String>,
    pub trans_name: Option<String>,
    /// `1` road, `2` rail, `3` air, `4` ship.
    pub trans_mode: Option<String>,
    pub distance_km: u32,
    pub trans_doc_no: Option<String>,
    pub trans_doc_dt: Option<NaiveDate>,
    pub veh_no: Option<String>,
    /// `R` or `O`.
    pub veh_type: Option<String>,
}

impl Transport {
    pub fn from_ewb_dtls(ewb: &EwbDtls) -> Transport {
        Transport {
            trans_id: ewb.trans_id.as_ref().map(|g| g.as_str().to_owned()),
            trans_name: ewb.trans_name.clone(),
            trans_mode: ewb.trans_mode.clone(),
            distance_km: ewb.distance.as_u32().unwrap_or(0),
            trans_doc_no: ewb.trans_doc_no.clone(),
            trans_doc_dt: ewb.trans_doc_dt,
            veh_no: ewb.veh_no.clone(),
            veh_type: ewb.veh_type.clone(),
        }
    }

    /// Part A only: no transport mode, vehicle or transport document (E-06).
    pub fn part_a_only(&self) -> bool {
        self.trans_mode.is_none() && self.veh_no.is_none() && self.trans_doc_no.is_none()
    }

    pub fn over_dimensional(&self) -> bool {
        self.veh_type.as_deref() == Some("O")
    }
}

/// Where goods leave from or go to: the PIN and state of an address block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub pin: u32,
    pub state: u8,
}

/// The addresses of an e-way bill (`06` §5.1). `dispatch_override` is path (b)'s `DispDtls`,
/// `export_ship_override` its `ExpShipDtls`. For an export without an explicit ship-to the
/// second place is `None` (E-13).
pub fn places(
    invoice: &Invoice,
    dispatch_override: Option<Place>,
    export_ship_override: Option<Place>,
) -> (Place, Option<Place>) {
    let place = |pin: &Number, state: &crate::invoice::StateCode| Place {
        pin: pin.as_u32().unwrap_or(0),
        state: state.number,
    };
    let dispatch = dispatch_override.unwrap_or_else(|| match &invoice.disp_dtls {
        Some(disp) => place(&disp.pin, &disp.stcd),
        None => place(&invoice.seller_dtls.pin, &invoice.seller_dtls.stcd),
    });
    let explicit_ship = invoice
        .ship_dtls
        .as_ref()
        .map(|ship| place(&ship.pin, &ship.stcd));
    let ship_to = if invoice.tran_dtls.sup_typ.is_export() {
        export_ship_override.or(explicit_ship)
    } else {
        explicit_ship.or_else(|| {
            let buyer = &invoice.buyer_dtls;
            Some(Place {
                pin: buyer
                    .pin
                    .as_ref()
                    .and_then(Number::as_u32)
                    .unwrap_or(FOREIGN_PIN),
                state: buyer.stcd.number,
            })
        })
    };
    (dispatch, ship_to)
}

/// What the rules need besides the invoice and the transport.
#[derive(Debug, Clone)]
pub struct EwbFacts<'a> {
    pub invoice: &'a Invoice,
    pub transport: &'a Transport,
    pub dispatch: Place,
    pub ship_to: Option<Place>,
    /// Seller and buyer GSTINs with `BlkStatus = B`, seller first (E-05).
    pub blocked_gstins: Vec<String>,
    /// The transporter id is in the register as cancelled or inactive (E-12).
    pub transporter_inactive: bool,
    /// Today's IST date.
    pub today: NaiveDate,
}

/// `ewb.*` settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EwbSettings {
    pub distance_check: bool,
    pub road_factor: f64,
    pub max_distance_factor: f64,
}

impl Default for EwbSettings {
    fn default() -> EwbSettings {
        EwbSettings {
            distance_check: true,
            road_factor: 1.3,
            max_distance_factor: 2.0,
        }
    }
}

/// What the rules decided when they passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EwbPlan {
    /// The distance to use, in km.
    pub distance_km: u32,
    /// The distance was computed from PIN codes (`Distance: 0`): report it (`EWBPPD`/`Remarks`).
    pub computed: bool,
}

impl EwbPlan {
    /// `Pin-Pin calc distance: <n>KM`.
    pub fn remark(&self) -> Option<String> {
        self.computed
            .then(|| format!("Pin-Pin calc distance: {}KM", self.distance_km))
    }
}

/// E-03 to E-15 (`06` §5.2) in table order, all violations collected. Path (a) reports only the
/// first (D-68); path (b) reports them all.
pub fn check(facts: &EwbFacts<'_>, settings: &EwbSettings) -> Result<EwbPlan, Vec<ErrorDetail>> {
    let mut errors = Vec::new();
    let mut fail = |code: Code, args: &[&str]| errors.push(ErrorDetail::coded(code, "", args));
    let invoice = facts.invoice;
    let transport = facts.transport;
    // E-03, E-04
    if invoice.doc_dtls.typ != DocType::Invoice {
        fail(Code::E4010, &[]);
    }
    if invoice.all_services() {
        fail(Code::E4009, &[]);
    }
    // E-05
    for gstin in &facts.blocked_gstins {
        fail(Code::E4015, &[gstin]);
    }
    // E-06, E-07
    if transport.part_a_only() && transport.trans_id.is_none() {
        fail(Code::E4019, &[]);
    }
    if transport.trans_mode.is_none()
        && (transport.veh_no.is_some() || transport.trans_doc_no.is_some())
    {
        fail(Code::E4028, &[]);
    }
    // E-08 to E-10, by mode.
    let veh_type = transport.veh_type.as_deref();
    match transport.trans_mode.as_deref() {
        Some("1") => {
            if transport.veh_no.is_none() {
                fail(Code::E4011, &[]);
            }
            if veh_type.is_none() {
                fail(Code::E4022, &[]);
            }
            if transport
                .veh_no
                .as_deref()
                .is_some_and(|number| !vehicle_number_is_valid(number))
            {
                fail(Code::E4014, &[]);
            }
        }
        Some("2" | "3") => {
            if transport.trans_doc_no.is_none() {
                fail(Code::E4012, &[]);
            }
            if transport.trans_doc_dt.is_none() {
                fail(Code::E4023, &[]);
            }
            if veh_type == Some("O") {
                fail(Code::E4024, &[]);
            }
        }
        Some("4") => {
            if transport.veh_no.is_none() && transport.trans_doc_no.is_none() {
                fail(Code::E4040, &[]);
            }
            if veh_type == Some("R") {
                fail(Code::E4039, &[]);
            }
        }
        _ => {}
    }
    // E-11
    if let Some(date) = transport.trans_doc_dt {
        if date > facts.today {
            fail(Code::E4016, &[]);
        }
        if date < invoice.doc_dtls.dt {
            fail(Code::E4021, &[]);
        }
    }
    // E-12
    if facts.transporter_inactive {
        fail(Code::E3052, &[transport.trans_id.as_deref().unwrap_or("")]);
    }
    // E-13, E-14
    let Some(ship_to) = facts.ship_to else {
        fail(Code::E4031, &[]);
        return Err(errors);
    };
    if ship_to.state == 96 {
        fail(Code::E4032, &[]);
    }
    if ship_to.pin == FOREIGN_PIN {
        fail(Code::E4033, &[]);
    }
    if facts.dispatch.state == 96 {
        fail(Code::E4035, &[]);
    }
    if facts.dispatch.pin == FOREIGN_PIN {
        fail(Code::E4036, &[]);
    }
    // E-15 (`06` §5.3)
    let (from, to) = (facts.dispatch.pin, ship_to.pin);
    let estimate = estimate_distance(from, to, settings.road_factor);
    let mut plan = EwbPlan {
        distance_km: transport.distance_km,
        computed: false,
    };
    if transport.distance_km == 0 {
        if from == FOREIGN_PIN || to == FOREIGN_PIN {
            fail(Code::E4034, &[]);
        } else if from == to {
            fail(Code::E4029, &[]);
        } else {
            match estimate {
                Some(estimate) => {
                    plan = EwbPlan {
                        distance_km: estimate.road_km,
                        computed: true,
                    }
                }
                None => fail(Code::E4030, &[&from.to_string(), &to.to_string()]),
            }
        }
    } else if let Some(estimate) = estimate
        && settings.distance_check
        && !distance_is_plausible(
            transport.distance_km,
            &estimate,
            settings.max_distance_factor,
        )
    {
        fail(Code::E4013, &[]);
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    /// `06` §5.4: the NIC sandbox record, 2467 km computed from PINs.
    #[test]
    fn the_worked_validity_example() {
        assert_eq!(validity_days(2467, false), 13);
        assert_eq!(
            valid_till(at(2022, 9, 16, 19, 29), 2467, false),
            at(2022, 9, 29, 23, 59)
        );
    }

    #[test]
    fn the_second_validity_check_and_the_day_boundaries() {
        assert_eq!(
            valid_till(at(2020, 4, 24, 11, 28), 100, false),
            at(2020, 4, 25, 23, 59)
        );
        assert_eq!(validity_days(200, false), 1);
        assert_eq!(validity_days(201, false), 2);
        assert_eq!(validity_days(0, false), 1);
        // Over-dimensional cargo: one day per 20 km.
        assert_eq!(validity_days(100, true), 5);
        assert_eq!(
            valid_till(at(2025, 12, 30, 8, 0), 21, true),
            at(2026, 1, 1, 23, 59)
        );
    }

    #[test]
    fn distance_estimates_between_real_pins() {
        // New Delhi (110001) to Mumbai (400001): about 1,150 km in a straight line; the road is
        // about 1,400 km.
        let delhi_mumbai = estimate_distance(110_001, 400_001, 1.3).unwrap();
        assert!(
            (1100.0..1200.0).contains(&delhi_mumbai.great_circle_km),
            "{delhi_mumbai:?}"
        );
        assert!(
            (1400..1580).contains(&delhi_mumbai.road_km),
            "{delhi_mumbai:?}"
        );
        // Bengaluru (560001) to Chennai (600001): about 290 km straight, 350 km by road.
        let blr_maa = estimate_distance(560_001, 600_001, 1.3).unwrap();
        assert!(
            (270.0..310.0).contains(&blr_maa.great_circle_km),
            "{blr_maa:?}"
        );
        // Symmetric, and a PIN with itself is the minimum of 1 km.
        assert_eq!(
            estimate_distance(600_001, 560_001, 1.3).unwrap().road_km,
            blr_maa.road_km
        );
        assert_eq!(estimate_distance(560_001, 560_001, 1.3).unwrap().road_km, 1);
    }

    #[test]
    fn plausibility_bounds() {
        let estimate = DistanceEstimate {
            great_circle_km: 100.0,
            road_km: 130,
        };
        assert!(distance_is_plausible(90, &estimate, 2.0));
        assert!(
            !distance_is_plausible(89, &estimate, 2.0),
            "shorter than 0.9 × the straight line"
        );
        assert!(distance_is_plausible(310, &estimate, 2.0));
        assert!(
            !distance_is_plausible(311, &estimate, 2.0),
            "beyond 2 × the estimate + 50 km"
        );
    }

    #[test]
    fn vehicle_number_formats() {
        for valid in [
            "KA12ER1234",
            "DL1C1234",
            "MH12AB1234",
            "KA011234",
            "22BH1234AB",
            "23BH0001A",
            "TRKA1234567",
        ] {
            assert!(vehicle_number_is_valid(valid), "{valid}");
        }
        for invalid in [
            "KA12ER123",
            "K112ER1234",
            "KA123ER1234",
            "KA12ABCD1234",
            "22BH123AB",
            "TR12",
            "1234",
        ] {
            assert!(!vehicle_number_is_valid(invalid), "{invalid}");
        }
    }
}
