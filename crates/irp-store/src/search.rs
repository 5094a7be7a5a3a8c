//! The web mode's queries over registered documents (`Invoices::search_invoices`,
//! `Invoices::activity_since`), built once for both backends: `QueryBuilder` writes each
//! backend's placeholders.

use chrono::{NaiveDate, NaiveDateTime};
use sqlx::{Database, Encode, QueryBuilder, Type};

use crate::InvoiceSearch;
use crate::rows::summary_columns;

/// The most rows one page may ask for.
pub const MAX_PAGE: u32 = 200;

/// `SELECT` of one page of `search`. Each side of the union (as supplier, as e-commerce
/// operator) walks its own index newest first and stops after the rows the page can need, so a
/// taxpayer with millions of documents costs a page, not a sort of all of them.
pub(crate) fn search_query<DB>(search: &InvoiceSearch) -> QueryBuilder<DB>
where
    DB: Database,
    DB::Arguments: Default,
    String: for<'t> Encode<'t, DB> + Type<DB>,
    NaiveDate: for<'t> Encode<'t, DB> + Type<DB>,
    i64: for<'t> Encode<'t, DB> + Type<DB>,
{
    let limit = i64::from(search.limit.min(MAX_PAGE));
    let reach = limit + i64::from(search.offset);
    let mut query = QueryBuilder::new(concat!("SELECT ", summary_columns!(), " FROM ("));
    for (index, column) in ["seller_gstin", "ecm_gstin"].into_iter().enumerate() {
        if index > 0 {
            query.push(" UNION ");
        }
        query.push(concat!(
            "SELECT * FROM (SELECT ",
            summary_columns!(),
            " FROM invoices WHERE "
        ));
        query
            .push(column)
            .push(" = ")
            .push_bind(search.party.clone());
        push_criteria(&mut query, search);
        query
            .push(" ORDER BY ack_dt DESC, irn DESC LIMIT ")
            .push_bind(reach)
            .push(") AS side");
        query.push(index.to_string());
    }
    query
        .push(") AS found ORDER BY ack_dt DESC, irn DESC LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(i64::from(search.offset));
    query
}

fn push_criteria<DB>(query: &mut QueryBuilder<DB>, search: &InvoiceSearch)
where
    DB: Database,
    String: for<'t> Encode<'t, DB> + Type<DB>,
    NaiveDate: for<'t> Encode<'t, DB> + Type<DB>,
{
    query.push(" AND status <> 'REJ'");
    if let Some(doc_no) = &search.doc_no {
        query.push(" AND doc_no = ").push_bind(doc_no.clone());
    }
    if let Some(irn) = &search.irn {
        query.push(" AND irn = ").push_bind(irn.as_str().to_owned());
    }
    if let Some(buyer) = &search.buyer_gstin {
        query.push(" AND buyer_gstin = ").push_bind(buyer.clone());
    }
    if let Some(from) = search.doc_date_from {
        query.push(" AND doc_date >= ").push_bind(from);
    }
    if let Some(to) = search.doc_date_to {
        query.push(" AND doc_date <= ").push_bind(to);
    }
    if let Some(doc_type) = search.doc_type {
        query
            .push(" AND doc_type = ")
            .push_bind(doc_type.code().to_owned());
    }
    if let Some(status) = search.status {
        query
            .push(" AND status = ")
            .push_bind(status.code().to_owned());
    }
}

/// One row of three counts: IRNs `party` registered from `since` on (as supplier, or as
/// e-commerce operator of another supplier's), those of them cancelled since, and e-way bills
/// generated since from its IRNs.
pub(crate) fn activity_query<DB>(party: &str, since: NaiveDateTime) -> QueryBuilder<DB>
where
    DB: Database,
    DB::Arguments: Default,
    String: for<'t> Encode<'t, DB> + Type<DB>,
    NaiveDateTime: for<'t> Encode<'t, DB> + Type<DB>,
{
    let mut query =
        QueryBuilder::new("SELECT (SELECT count(*) FROM invoices WHERE seller_gstin = ");
    query
        .push_bind(party.to_owned())
        .push(" AND ack_dt >= ")
        .push_bind(since);
    query.push(" AND status <> 'REJ') + (SELECT count(*) FROM invoices WHERE ecm_gstin = ");
    query
        .push_bind(party.to_owned())
        .push(" AND seller_gstin <> ")
        .push_bind(party.to_owned());
    query
        .push(" AND ack_dt >= ")
        .push_bind(since)
        .push(" AND status <> 'REJ'), ");
    query.push("(SELECT count(*) FROM invoices WHERE (seller_gstin = ");
    query
        .push_bind(party.to_owned())
        .push(" OR ecm_gstin = ")
        .push_bind(party.to_owned());
    query
        .push(") AND status = 'CNL' AND cancelled_at >= ")
        .push_bind(since);
    query.push("), (SELECT count(*) FROM ewbs JOIN invoices ON invoices.irn = ewbs.irn");
    query
        .push(" WHERE (invoices.seller_gstin = ")
        .push_bind(party.to_owned());
    query
        .push(" OR invoices.ecm_gstin = ")
        .push_bind(party.to_owned());
    query
        .push(") AND ewbs.ewb_dt >= ")
        .push_bind(since)
        .push(")");
    query
}
