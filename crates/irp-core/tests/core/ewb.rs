//! E-way bill rules E-03 to E-15 (`06` §5.2–§5.3), each as a passing request changed once.

use irp_core::ewb::{EwbFacts, EwbSettings, Place, Transport, check, places};
use irp_core::invoice::Invoice;
use serde_json::json;

use crate::support::*;

fn road() -> Transport {
    Transport {
        trans_id: Some("29AAGCB7383J1Z4".to_owned()),
        trans_mode: Some("1".to_owned()),
        distance_km: 1100,
        veh_no: Some("KA12ER1234".to_owned()),
        veh_type: Some("R".to_owned()),
        ..Transport::default()
    }
}

fn run(
    invoice: &Invoice,
    transport: &Transport,
    change: impl FnOnce(&mut EwbFacts<'_>),
) -> Result<u32, Vec<&'static str>> {
    let (dispatch, ship_to) = places(invoice, None, None);
    let mut facts = EwbFacts {
        invoice,
        transport,
        dispatch,
        ship_to,
        blocked_gstins: Vec::new(),
        transporter_inactive: false,
        today: today(),
    };
    change(&mut facts);
    check(&facts, &EwbSettings::default())
        .map(|plan| plan.distance_km)
        .map_err(|errors| errors.iter().map(|e| e.code.as_str()).collect())
}

fn goods_invoice() -> Invoice {
    validate(&inter_state()).unwrap()
}

#[track_caller]
fn fails(transport: Transport, codes: &[&str]) {
    assert_eq!(
        run(&goods_invoice(), &transport, |_| {}),
        Err(codes.to_vec())
    );
}

#[test]
fn a_road_e_way_bill_passes() {
    assert_eq!(run(&goods_invoice(), &road(), |_| {}), Ok(1100));
}

#[test]
fn e03_e04_only_invoices_with_goods() {
    let mut note = inter_state();
    note["DocDtls"]["Typ"] = json!("CRN");
    assert_eq!(
        run(&validate(&note).unwrap(), &road(), |_| {}),
        Err(vec!["4010"])
    );
    let mut services = inter_state();
    services["ItemList"] = json!([services["ItemList"][1].clone()]);
    services["ValDtls"] = json!({"AssVal": 500, "IgstVal": 90, "TotInvVal": 590});
    assert_eq!(
        run(&validate(&services).unwrap(), &road(), |_| {}),
        Err(vec!["4009"])
    );
}

#[test]
fn e05_blocked_gstins_one_entry_each_seller_first() {
    let errors = run(&goods_invoice(), &road(), |f| {
        f.blocked_gstins = vec![SELLER.to_owned(), BUYER_MH.to_owned()]
    });
    assert_eq!(errors, Err(vec!["4015", "4015"]));
}

#[test]
fn e06_e07_part_a_needs_a_transporter_and_part_b_a_mode() {
    fails(
        Transport {
            trans_id: None,
            distance_km: 1100,
            ..Transport::default()
        },
        &["4019"],
    );
    assert_eq!(
        run(
            &goods_invoice(),
            &Transport {
                trans_id: Some("29AAGCB7383J1Z4".to_owned()),
                distance_km: 1100,
                ..Transport::default()
            },
            |_| {}
        ),
        Ok(1100)
    );
    fails(
        Transport {
            trans_mode: None,
            ..road()
        },
        &["4028"],
    );
}

#[test]
fn e08_road_needs_a_valid_vehicle_and_its_type() {
    fails(
        Transport {
            veh_no: None,
            ..road()
        },
        &["4011"],
    );
    fails(
        Transport {
            veh_type: None,
            ..road()
        },
        &["4022"],
    );
    fails(
        Transport {
            veh_no: Some("ABCDEFGH".to_owned()),
            ..road()
        },
        &["4014"],
    );
}

#[test]
fn e09_rail_and_air_need_a_transport_document_and_no_odc() {
    let rail = Transport {
        trans_mode: Some("2".to_owned()),
        veh_no: None,
        veh_type: None,
        trans_doc_no: Some("RR/1".to_owned()),
        trans_doc_dt: Some(today()),
        ..road()
    };
    assert!(run(&goods_invoice(), &rail, |_| {}).is_ok());
    fails(
        Transport {
            trans_doc_no: None,
            ..rail.clone()
        },
        &["4012"],
    );
    fails(
        Transport {
            trans_doc_dt: None,
            ..rail.clone()
        },
        &["4023"],
    );
    fails(
        Transport {
            trans_mode: Some("3".to_owned()),
            veh_type: Some("O".to_owned()),
            ..rail
        },
        &["4024"],
    );
}

#[test]
fn e10_ship_needs_a_vessel_or_document_and_no_regular_type() {
    let ship = Transport {
        trans_mode: Some("4".to_owned()),
        veh_no: Some("IMO9321483".to_owned()),
        veh_type: None,
        ..road()
    };
    assert!(
        run(&goods_invoice(), &ship, |_| {}).is_ok(),
        "vessel ids skip the vehicle formats"
    );
    fails(
        Transport {
            veh_no: None,
            ..ship.clone()
        },
        &["4040"],
    );
    fails(
        Transport {
            veh_type: Some("R".to_owned()),
            ..ship
        },
        &["4039"],
    );
}

#[test]
fn e11_transport_document_date_between_the_invoice_and_today() {
    fails(
        Transport {
            trans_doc_dt: Some(today().succ_opt().unwrap()),
            ..road()
        },
        &["4016"],
    );
    fails(
        Transport {
            trans_doc_dt: Some(date("30/06/2025")),
            ..road()
        },
        &["4021"],
    );
}

#[test]
fn e12_an_inactive_transporter() {
    assert_eq!(
        run(&goods_invoice(), &road(), |f| f.transporter_inactive = true),
        Err(vec!["3052"])
    );
}

#[test]
fn e13_e14_export_and_foreign_addresses() {
    let export_invoice = validate(&export()).unwrap();
    assert_eq!(run(&export_invoice, &road(), |_| {}), Err(vec!["4031"]));
    let port = Place {
        pin: 400_001,
        state: 27,
    };
    assert_eq!(
        run(&export_invoice, &road(), |f| f.ship_to = Some(port)),
        Ok(1100)
    );
    assert_eq!(
        run(&export_invoice, &road(), |f| f.ship_to = Some(Place {
            pin: 400_001,
            state: 96
        })),
        Err(vec!["4032"])
    );
    assert_eq!(
        run(&export_invoice, &road(), |f| f.ship_to = Some(Place {
            pin: 999_999,
            state: 27
        })),
        Err(vec!["4033"])
    );
    assert_eq!(
        run(&goods_invoice(), &road(), |f| f.dispatch.state = 96),
        Err(vec!["4035"])
    );
    assert_eq!(
        run(&goods_invoice(), &road(), |f| f.dispatch.pin = 999_999),
        Err(vec!["4036"])
    );
}

#[test]
fn e15_distance_computed_checked_and_refused() {
    // Bengaluru 560001 to Mumbai 400001: computed from the PIN centroids.
    let computed = run(
        &goods_invoice(),
        &Transport {
            distance_km: 0,
            ..road()
        },
        |_| {},
    )
    .unwrap();
    assert!((1000..1400).contains(&computed), "{computed} km");
    fails(
        Transport {
            distance_km: 100,
            ..road()
        },
        &["4013"],
    );
    fails(
        Transport {
            distance_km: 4000,
            ..road()
        },
        &["4013"],
    );
    assert_eq!(
        run(
            &goods_invoice(),
            &Transport {
                distance_km: 0,
                ..road()
            },
            |f| f.ship_to = Some(f.dispatch)
        ),
        Err(vec!["4029"])
    );
    assert_eq!(
        run(
            &goods_invoice(),
            &Transport {
                distance_km: 0,
                ..road()
            },
            |f| f.ship_to = Some(Place {
                pin: 999_999,
                state: 27
            })
        ),
        Err(vec!["4033", "4034"])
    );
    // A PIN whose prefix has no coordinates at all: the actual distance is needed.
    assert_eq!(
        run(
            &goods_invoice(),
            &Transport {
                distance_km: 0,
                ..road()
            },
            |f| f.ship_to = Some(Place {
                pin: 100_001,
                state: 27
            })
        ),
        Err(vec!["4030"])
    );
    assert_eq!(
        run(
            &goods_invoice(),
            &Transport {
                distance_km: 500,
                ..road()
            },
            |f| f.ship_to = Some(Place {
                pin: 100_001,
                state: 27
            })
        ),
        Ok(500),
        "unknown pairs accept the given distance"
    );
}

#[test]
fn all_violations_come_in_table_order() {
    let mut note = inter_state();
    note["DocDtls"]["Typ"] = json!("DBN");
    let errors = run(
        &validate(&note).unwrap(),
        &Transport {
            veh_no: None,
            veh_type: None,
            ..road()
        },
        |f| f.transporter_inactive = true,
    );
    assert_eq!(errors, Err(vec!["4010", "4011", "4022", "3052"]));
}

#[test]
fn generate_ewb_by_irn_requests_bind_with_the_ewb_schema_codes() {
    use irp_core::bind::parse_ewb_request;
    use irp_core::rules::Rules;
    let request = |value: serde_json::Value| {
        parse_ewb_request(&serde_json::to_vec(&value).unwrap(), &Rules::default())
    };
    let ok = request(json!({"Irn": "ab", "distance": 120, "TransMode": "1", "VehNo": "ka-12 er 1234", "VehType": "r",
                            "DispDtls": {"Nm": "Warehouse", "Addr1": "Plot 1", "Loc": "Hosur", "Pin": 560001, "Stcd": "29"},
                            "ExpShipDtls": {"Addr1": "Port", "Loc": "Mumbai", "Pin": 400001, "Stcd": "27"}}))
    .unwrap();
    assert_eq!(ok.irn, "ab");
    assert_eq!(ok.transport.veh_no.as_deref(), Some("KA12ER1234"));
    assert_eq!(ok.transport.distance.as_u32(), Some(120));
    assert_eq!(ok.export_ship.unwrap().0.as_u32(), Some(400001));
    let codes = |value| {
        request(value)
            .unwrap_err()
            .iter()
            .map(|e| e.code)
            .collect::<Vec<_>>()
    };
    assert_eq!(codes(json!({"Irn": "ab", "Distance": 4001})), ["4038"]);
    assert_eq!(
        codes(json!({"Irn": "ab"})),
        ["2140"],
        "Distance is required"
    );
    assert_eq!(
        codes(json!({"Irn": "ab", "Distance": 1, "TransId": "12"})),
        ["4018"]
    );
    assert_eq!(
        codes(json!({"Irn": "ab", "Distance": 1, "TransDocDt": "32/01/2025"})),
        ["4017"]
    );
    assert_eq!(
        codes(json!({"Irn": "ab", "Distance": 1, "VehNo": "K-1"})),
        ["4014"]
    );
    assert_eq!(
        codes(json!({"Irn": "ab", "Distance": 1, "VehType": "X"})),
        ["4020"]
    );
}

#[test]
fn e06_part_a_only_means_no_mode_no_vehicle_and_no_document() {
    let part_a = Transport {
        trans_id: Some("29AAGCB7383J1Z4".to_owned()),
        distance_km: 1100,
        ..Transport::default()
    };
    assert!(part_a.part_a_only());
    for part_b in [
        Transport {
            trans_mode: Some("1".to_owned()),
            ..part_a.clone()
        },
        Transport {
            veh_no: Some("KA12ER1234".to_owned()),
            ..part_a.clone()
        },
        Transport {
            trans_doc_no: Some("LR/1".to_owned()),
            ..part_a.clone()
        },
    ] {
        assert!(!part_b.part_a_only(), "{part_b:?}");
    }
    // A vehicle or a document without a mode is E-07 alone: it is not Part A only, so E-06
    // does not ask for a transporter.
    for without_mode in [
        Transport {
            veh_no: Some("KA12ER1234".to_owned()),
            ..Transport::default()
        },
        Transport {
            trans_doc_no: Some("LR/1".to_owned()),
            ..Transport::default()
        },
    ] {
        fails(
            Transport {
                distance_km: 1100,
                ..without_mode
            },
            &["4028"],
        );
    }
}

#[test]
fn over_dimensional_cargo_is_vehicle_type_o_only() {
    let with_type = |veh_type: Option<&str>| Transport {
        veh_type: veh_type.map(str::to_owned),
        ..road()
    };
    assert!(with_type(Some("O")).over_dimensional());
    assert!(!with_type(Some("R")).over_dimensional());
    assert!(!with_type(None).over_dimensional());
}

#[test]
fn ewb_details_of_an_invoice_become_the_transport_field_by_field() {
    let mut request = inter_state();
    request["EwbDtls"] = json!({"TransId": "29AAGCB7383J1Z4", "TransName": "Fast Movers", "TransMode": "1",
                                "Distance": 1100, "TransDocNo": "LR/77", "TransDocDt": "01/07/2025",
                                "VehNo": "ka-12 er 1234", "VehType": "r"});
    let invoice = validate(&request).unwrap();
    assert_eq!(
        Transport::from_ewb_dtls(invoice.ewb_dtls.as_ref().unwrap()),
        Transport {
            trans_id: Some("29AAGCB7383J1Z4".to_owned()),
            trans_name: Some("Fast Movers".to_owned()),
            trans_mode: Some("1".to_owned()),
            distance_km: 1100,
            trans_doc_no: Some("LR/77".to_owned()),
            trans_doc_dt: Some(date("01/07/2025")),
            veh_no: Some("KA12ER1234".to_owned()),
            veh_type: Some("R".to_owned()),
        }
    );
    // Part A only: the absent fields stay absent, Distance 0 asks for the computed distance.
    request["EwbDtls"] = json!({"TransId": "29AAGCB7383J1Z4", "Distance": 0});
    let invoice = validate(&request).unwrap();
    assert_eq!(
        Transport::from_ewb_dtls(invoice.ewb_dtls.as_ref().unwrap()),
        Transport {
            trans_id: Some("29AAGCB7383J1Z4".to_owned()),
            ..Transport::default()
        }
    );
}

/// `06` §5.3 step 3: a distance computed from the PINs is reported as
/// `Pin-Pin calc distance: <D>KM`; a distance that was given is not.
#[test]
fn e15_only_a_computed_distance_has_the_pin_to_pin_remark() {
    let invoice = goods_invoice();
    let (dispatch, ship_to) = places(&invoice, None, None);
    let plan = |distance_km: u32| {
        let transport = Transport {
            distance_km,
            ..road()
        };
        let facts = EwbFacts {
            invoice: &invoice,
            transport: &transport,
            dispatch,
            ship_to,
            blocked_gstins: Vec::new(),
            transporter_inactive: false,
            today: today(),
        };
        check(&facts, &EwbSettings::default()).unwrap()
    };
    let computed = plan(0);
    assert!(computed.computed);
    assert_eq!(
        computed.remark(),
        Some(format!("Pin-Pin calc distance: {}KM", computed.distance_km))
    );
    let given = plan(1100);
    assert!(!given.computed);
    assert_eq!(given.remark(), None);
    // The worked example of `06` §5.4.
    let sandbox = irp_core::ewb::EwbPlan {
        distance_km: 2467,
        computed: true,
    };
    assert_eq!(
        sandbox.remark().as_deref(),
        Some("Pin-Pin calc distance: 2467KM")
    );
}

/// `06` §5.6, `^[A-Z]{2}[0-9]{1,2}[A-Z]{0,3}[0-9]{4}$`, at the edges of each part.
#[test]
fn e08_standard_registration_numbers_at_their_edges() {
    use irp_core::ewb::vehicle_number_is_valid;
    for valid in [
        "KA11234",     // shortest: one district digit, no series
        "KA123456",    // two district digits, no series
        "KA1A1234",    // one district digit, one series letter
        "DL3CAB1234",  // three series letters
        "MH12ABC1234", // the longest
    ] {
        assert!(vehicle_number_is_valid(valid), "{valid}");
    }
    for invalid in [
        "KA1234",       // too short
        "KA1234567",    // five digits after a two-digit district
        "KAA1234",      // no district digits
        "KA12ABCD1234", // four series letters
        "KA12ER12A4",   // a letter inside the number
        "KA12ER12345",  // five-digit number
        "Ka12ER1234",   // lower case
        "K112ER1234",
    ] {
        assert!(!vehicle_number_is_valid(invalid), "{invalid}");
    }
}

/// `06` §5.6, `^[0-9]{2}BH[0-9]{4}[A-Z]{1,2}$`: each part wrong on its own is refused.
#[test]
fn e08_bharat_series_numbers_need_every_part() {
    use irp_core::ewb::vehicle_number_is_valid;
    for valid in ["22BH1234A", "22BH1234AB"] {
        assert!(vehicle_number_is_valid(valid), "{valid}");
    }
    for invalid in [
        "22BH1234",    // no letters
        "22BH1234ABC", // three letters
        "KABH1234AB",  // letters for the year
        "22XY1234AB",  // not BH
        "22BH12345A",  // five digits
    ] {
        assert!(!vehicle_number_is_valid(invalid), "{invalid}");
    }
}

#[test]
fn e11_a_transport_document_of_the_invoice_date_or_of_today_is_allowed() {
    for day in ["01/07/2025", "10/07/2025"] {
        let transport = Transport {
            trans_doc_no: Some("LR/1".to_owned()),
            trans_doc_dt: Some(date(day)),
            ..road()
        };
        assert_eq!(run(&goods_invoice(), &transport, |_| {}), Ok(1100), "{day}");
    }
}

/// `06` §5.3 step 4: with `ewb.distance_check` off, a given distance is never refused.
#[test]
fn e15_the_plausibility_check_can_be_switched_off() {
    let invoice = goods_invoice();
    let (dispatch, ship_to) = places(&invoice, None, None);
    let transport = Transport {
        distance_km: 100,
        ..road()
    };
    let facts = EwbFacts {
        invoice: &invoice,
        transport: &transport,
        dispatch,
        ship_to,
        blocked_gstins: Vec::new(),
        transporter_inactive: false,
        today: today(),
    };
    let off = EwbSettings {
        distance_check: false,
        ..EwbSettings::default()
    };
    assert_eq!(check(&facts, &off).map(|plan| plan.distance_km), Ok(100));
    assert!(check(&facts, &EwbSettings::default()).is_err());
}
