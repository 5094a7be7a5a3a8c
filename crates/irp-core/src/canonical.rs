//! Writes a bound invoice back as compact JSON in canonical casing and order (`05` §4.3).
//!
//! Absent fields are left out (never `null`), numbers are echoed with the text they arrived
//! with, codes appear in their stored upper-case form, and every item starts with `"ItemNo":0`.
//! The same writer produces the data of the signed invoice and the stored canonical form, so
//! what is signed and what is stored cannot drift apart.

use chrono::{Datelike, NaiveDate};

use crate::invoice::*;
use crate::json::ObjectWriter;

/// The invoice alone, as a JSON object (`{"Version":"1.1",…}`), as it will be signed.
pub fn invoice_json(invoice: &Invoice, default_disp_ship: bool) -> String {
    let mut out = String::with_capacity(2048 + 512 * invoice.item_list.len());
    let mut object = ObjectWriter::open(&mut out);
    write_invoice_fields(&mut object, invoice, default_disp_ship);
    object.close();
    out
}

/// `dd/mm/yyyy`, zero-padded.
pub fn format_date(date: NaiveDate) -> String {
    format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year())
}

pub(crate) fn write_invoice_fields(
    o: &mut ObjectWriter<'_>,
    invoice: &Invoice,
    default_disp_ship: bool,
) {
    o.str("Version", &invoice.version);
    o.object("TranDtls", |o| {
        let tran = &invoice.tran_dtls;
        o.str("TaxSch", &tran.tax_sch);
        o.str("SupTyp", tran.sup_typ.code());
        o.flag("RegRev", tran.reg_rev);
        o.opt_str("EcmGstin", tran.ecm_gstin.as_ref().map(Gstin::as_str));
        o.flag("IgstOnIntra", tran.igst_on_intra);
    });
    o.object("DocDtls", |o| {
        let doc = &invoice.doc_dtls;
        o.str("Typ", doc.typ.code());
        o.str("No", &doc.no);
        o.date("Dt", Some(doc.dt));
    });
    o.object("SellerDtls", |o| write_seller(o, &invoice.seller_dtls));
    o.object("BuyerDtls", |o| write_buyer(o, &invoice.buyer_dtls));
    match (&invoice.disp_dtls, default_disp_ship) {
        (Some(disp), _) => o.object("DispDtls", |o| write_disp(o, disp)),
        (None, true) => o.object("DispDtls", |o| {
            write_disp(o, &dispatch_from_seller(&invoice.seller_dtls))
        }),
        (None, false) => {}
    }
    match (&invoice.ship_dtls, default_disp_ship) {
        (Some(ship), _) => o.object("ShipDtls", |o| write_ship(o, ship)),
        (None, true) => o.object("ShipDtls", |o| {
            write_ship_from_buyer(o, &invoice.buyer_dtls)
        }),
        (None, false) => {}
    }
    o.array("ItemList", &invoice.item_list, write_item);
    o.object("ValDtls", |o| write_val(o, &invoice.val_dtls));
    if let Some(pay) = &invoice.pay_dtls {
        o.object("PayDtls", |o| write_pay(o, pay));
    }
    if let Some(refs) = &invoice.ref_dtls {
        o.object("RefDtls", |o| write_ref(o, refs));
    }
    if let Some(docs) = &invoice.addl_doc_dtls {
        o.array("AddlDocDtls", docs, |o, doc| {
            o.opt_str("Url", doc.url.as_deref());
            o.opt_str("Docs", doc.docs.as_deref());
            o.opt_str("Info", doc.info.as_deref());
        });
    }
    if let Some(exp) = &invoice.exp_dtls {
        o.object("ExpDtls", |o| write_exp(o, exp));
    }
    if let Some(ewb) = &invoice.ewb_dtls {
        o.object("EwbDtls", |o| write_ewb(o, ewb));
    }
}

fn write_seller(o: &mut ObjectWriter<'_>, seller: &SellerDtls) {
    o.str("Gstin", seller.gstin.as_str());
    o.str("LglNm", &seller.lgl_nm);
    o.opt_str("TrdNm", seller.trd_nm.as_deref());
    o.str("Addr1", &seller.addr1);
    o.opt_str("Addr2", seller.addr2.as_deref());
    o.str("Loc", &seller.loc);
    o.num("Pin", &seller.pin);
    o.str("Stcd", &seller.stcd.text);
    o.opt_str("Ph", seller.ph.as_deref());
    o.opt_str("Em", seller.em.as_deref());
}

fn write_buyer(o: &mut ObjectWriter<'_>, buyer: &BuyerDtls) {
    o.str("Gstin", buyer.gstin.as_str());
    o.str("LglNm", &buyer.lgl_nm);
    o.opt_str("TrdNm", buyer.trd_nm.as_deref());
    o.str("Pos", &buyer.pos.text);
    o.str("Addr1", &buyer.addr1);
    o.opt_str("Addr2", buyer.addr2.as_deref());
    o.str("Loc", &buyer.loc);
    o.opt_num("Pin", &buyer.pin);
    o.str("Stcd", &buyer.stcd.text);
    o.opt_str("Ph", buyer.ph.as_deref());
    o.opt_str("Em", buyer.em.as_deref());
}

fn write_disp(o: &mut ObjectWriter<'_>, disp: &DispDtls) {
    o.str("Nm", &disp.nm);
    o.str("Addr1", &disp.addr1);
    o.opt_str("Addr2", disp.addr2.as_deref());
    o.str("Loc", &disp.loc);
    o.num("Pin", &disp.pin);
    o.str("Stcd", &disp.stcd.text);
}

/// `signing.default_disp_ship`: dispatch-from copied from the seller (`05` §4.3, D-40).
fn dispatch_from_seller(seller: &SellerDtls) -> DispDtls {
    DispDtls {
        nm: seller.lgl_nm.clone(),
        addr1: seller.addr1.clone(),
        addr2: seller.addr2.clone(),
        loc: seller.loc.clone(),
        pin: seller.pin.clone(),
        stcd: seller.stcd.clone(),
    }
}

fn write_ship(o: &mut ObjectWriter<'_>, ship: &ShipDtls) {
    o.opt_str("Gstin", ship.gstin.as_ref().map(PartyGstin::as_str));
    o.str("LglNm", &ship.lgl_nm);
    o.opt_str("TrdNm", ship.trd_nm.as_deref());
    o.str("Addr1", &ship.addr1);
    o.opt_str("Addr2", ship.addr2.as_deref());
    o.str("Loc", &ship.loc);
    o.num("Pin", &ship.pin);
    o.str("Stcd", &ship.stcd.text);
}

/// `signing.default_disp_ship`: ship-to copied from the buyer; absent fields stay absent.
fn write_ship_from_buyer(o: &mut ObjectWriter<'_>, buyer: &BuyerDtls) {
    o.str("Gstin", buyer.gstin.as_str());
    o.str("LglNm", &buyer.lgl_nm);
    o.opt_str("TrdNm", buyer.trd_nm.as_deref());
    o.str("Addr1", &buyer.addr1);
    o.opt_str("Addr2", buyer.addr2.as_deref());
    o.str("Loc", &buyer.loc);
    o.opt_num("Pin", &buyer.pin);
    o.str("Stcd", &buyer.stcd.text);
}

fn write_item(o: &mut ObjectWriter<'_>, item: &Item) {
    o.raw("ItemNo", "0");
    o.str("SlNo", &item.sl_no);
    o.flag("IsServc", Some(item.is_servc));
    o.opt_str("PrdDesc", item.prd_desc.as_deref());
    o.str("HsnCd", &item.hsn_cd);
    o.opt_str("Barcde", item.barcde.as_deref());
    o.opt_num("Qty", &item.qty);
    o.opt_num("FreeQty", &item.free_qty);
    o.opt_str("Unit", item.unit.as_deref());
    o.num("UnitPrice", &item.unit_price);
    o.num("TotAmt", &item.tot_amt);
    o.opt_num("Discount", &item.discount);
    o.opt_num("PreTaxVal", &item.pre_tax_val);
    o.num("AssAmt", &item.ass_amt);
    o.num("GstRt", &item.gst_rt);
    o.opt_num("IgstAmt", &item.igst_amt);
    o.opt_num("CgstAmt", &item.cgst_amt);
    o.opt_num("SgstAmt", &item.sgst_amt);
    o.opt_num("CesRt", &item.ces_rt);
    o.opt_num("CesAmt", &item.ces_amt);
    o.opt_num("CesNonAdvlAmt", &item.ces_non_advl_amt);
    o.opt_num("StateCesRt", &item.state_ces_rt);
    o.opt_num("StateCesAmt", &item.state_ces_amt);
    o.opt_num("StateCesNonAdvlAmt", &item.state_ces_non_advl_amt);
    o.opt_num("OthChrg", &item.oth_chrg);
    o.num("TotItemVal", &item.tot_item_val);
    o.opt_str("OrdLineRef", item.ord_line_ref.as_deref());
    o.opt_str("OrgCntry", item.org_cntry.as_deref());
    o.opt_str("PrdSlNo", item.prd_sl_no.as_deref());
    if let Some(batch) = &item.bch_dtls {
        o.object("BchDtls", |o| {
            o.str("Nm", &batch.nm);
            o.date("ExpDt", batch.exp_dt);
            o.date("WrDt", batch.wr_dt);
        });
    }
    if let Some(attributes) = &item.attrib_dtls {
        o.array("AttribDtls", attributes, |o, attribute| {
            o.opt_str("Nm", attribute.nm.as_deref());
            o.opt_str("Val", attribute.val.as_deref());
        });
    }
}

fn write_val(o: &mut ObjectWriter<'_>, val: &ValDtls) {
    o.num("AssVal", &val.ass_val);
    o.opt_num("CgstVal", &val.cgst_val);
    o.opt_num("SgstVal", &val.sgst_val);
    o.opt_num("IgstVal", &val.igst_val);
    o.opt_num("CesVal", &val.ces_val);
    o.opt_num("StCesVal", &val.st_ces_val);
    o.opt_num("Discount", &val.discount);
    o.opt_num("OthChrg", &val.oth_chrg);
    o.opt_num("RndOffAmt", &val.rnd_off_amt);
    o.num("TotInvVal", &val.tot_inv_val);
    o.opt_num("TotInvValFc", &val.tot_inv_val_fc);
}

fn write_pay(o: &mut ObjectWriter<'_>, pay: &PayDtls) {
    o.opt_str("Nm", pay.nm.as_deref());
    o.opt_str("AccDet", pay.acc_det.as_deref());
    o.opt_str("Mode", pay.mode.as_deref());
    o.opt_str("FinInsBr", pay.fin_ins_br.as_deref());
    o.opt_str("PayTerm", pay.pay_term.as_deref());
    o.opt_str("PayInstr", pay.pay_instr.as_deref());
    o.opt_str("CrTrn", pay.cr_trn.as_deref());
    o.opt_str("DirDr", pay.dir_dr.as_deref());
    o.opt_num("CrDay", &pay.cr_day);
    o.opt_num("PaidAmt", &pay.paid_amt);
    o.opt_num("PaymtDue", &pay.paymt_due);
}

fn write_ref(o: &mut ObjectWriter<'_>, refs: &RefDtls) {
    o.opt_str("InvRm", refs.inv_rm.as_deref());
    if let Some(period) = &refs.doc_perd_dtls {
        o.object("DocPerdDtls", |o| {
            o.date("InvStDt", Some(period.inv_st_dt));
            o.date("InvEndDt", Some(period.inv_end_dt));
        });
    }
    if let Some(preceding) = &refs.prec_doc_dtls {
        o.array("PrecDocDtls", preceding, |o, doc| {
            o.str("InvNo", &doc.inv_no);
            o.date("InvDt", Some(doc.inv_dt));
            o.opt_str("OthRefNo", doc.oth_ref_no.as_deref());
        });
    }
    if let Some(contracts) = &refs.contr_dtls {
        o.array("ContrDtls", contracts, |o, contract| {
            o.opt_str("RecAdvRefr", contract.rec_adv_refr.as_deref());
            o.date("RecAdvDt", contract.rec_adv_dt);
            o.opt_str("TendRefr", contract.tend_refr.as_deref());
            o.opt_str("ContrRefr", contract.contr_refr.as_deref());
            o.opt_str("ExtRefr", contract.ext_refr.as_deref());
            o.opt_str("ProjRefr", contract.proj_refr.as_deref());
            o.opt_str("PORefr", contract.po_refr.as_deref());
            o.date("PORefDt", contract.po_ref_dt);
        });
    }
}

fn write_exp(o: &mut ObjectWriter<'_>, exp: &ExpDtls) {
    o.opt_str("ShipBNo", exp.ship_b_no.as_deref());
    o.date("ShipBDt", exp.ship_b_dt);
    o.opt_str("Port", exp.port.as_deref());
    o.flag("RefClm", exp.ref_clm);
    o.opt_str("ForCur", exp.for_cur.as_deref());
    o.opt_str("CntCode", exp.cnt_code.as_deref());
    o.opt_num("ExpDuty", &exp.exp_duty);
}

fn write_ewb(o: &mut ObjectWriter<'_>, ewb: &EwbDtls) {
    o.opt_str("TransId", ewb.trans_id.as_ref().map(Gstin::as_str));
    o.opt_str("TransName", ewb.trans_name.as_deref());
    o.opt_str("TransMode", ewb.trans_mode.as_deref());
    o.num("Distance", &ewb.distance);
    o.opt_str("TransDocNo", ewb.trans_doc_no.as_deref());
    o.date("TransDocDt", ewb.trans_doc_dt);
    o.opt_str("VehNo", ewb.veh_no.as_deref());
    o.opt_str("VehType", ewb.veh_type.as_deref());
}
