//! The taxpayer register as the rules see it (`08` §3).
//!
//! The core never reads storage: the caller hands in something that answers look-ups by GSTIN,
//! usually a map the store filled with the seller, buyer and e-commerce operator beforehand.

use std::collections::HashMap;

use chrono::NaiveDate;

/// Taxpayer type (`TxpType`, `08` §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaxpayerType {
    /// Regular (normal) taxpayer.
    Reg,
    /// SEZ developer: may supply; its supplies are always IGST.
    Sed,
    /// SEZ unit: may not supply.
    Sez,
    /// Composition taxpayer.
    Com,
    /// E-commerce operator (collects tax at source).
    Tcs,
    /// Tax deductor.
    Tds,
    /// Non-resident taxable person.
    Nrt,
    /// OIDAR provider.
    Oid,
    /// UN body, embassy or other UIN holder.
    Uin,
}

impl TaxpayerType {
    pub const ALL: [TaxpayerType; 9] = [
        TaxpayerType::Reg,
        TaxpayerType::Sed,
        TaxpayerType::Sez,
        TaxpayerType::Com,
        TaxpayerType::Tcs,
        TaxpayerType::Tds,
        TaxpayerType::Nrt,
        TaxpayerType::Oid,
        TaxpayerType::Uin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TaxpayerType::Reg => "REG",
            TaxpayerType::Sed => "SED",
            TaxpayerType::Sez => "SEZ",
            TaxpayerType::Com => "COM",
            TaxpayerType::Tcs => "TCS",
            TaxpayerType::Tds => "TDS",
            TaxpayerType::Nrt => "NRT",
            TaxpayerType::Oid => "OID",
            TaxpayerType::Uin => "UIN",
        }
    }

    pub fn from_code(code: &str) -> Option<TaxpayerType> {
        TaxpayerType::ALL
            .into_iter()
            .find(|t| t.code().eq_ignore_ascii_case(code))
    }
}

/// Registration status (`Status`). `PRO` (provisional) is treated like `ACT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistrationStatus {
    Act,
    Pro,
    Cnl,
    Ina,
}

impl RegistrationStatus {
    pub fn code(self) -> &'static str {
        match self {
            RegistrationStatus::Act => "ACT",
            RegistrationStatus::Pro => "PRO",
            RegistrationStatus::Cnl => "CNL",
            RegistrationStatus::Ina => "INA",
        }
    }

    pub fn from_code(code: &str) -> Option<RegistrationStatus> {
        [
            RegistrationStatus::Act,
            RegistrationStatus::Pro,
            RegistrationStatus::Cnl,
            RegistrationStatus::Ina,
        ]
        .into_iter()
        .find(|s| s.code().eq_ignore_ascii_case(code))
    }
}

/// One register record: what the rules and the GSTIN details endpoint need.
#[derive(Debug, Clone, PartialEq)]
pub struct Taxpayer {
    pub gstin: String,
    pub legal_name: String,
    pub trade_name: Option<String>,
    pub state_code: u8,
    pub taxpayer_type: TaxpayerType,
    pub status: RegistrationStatus,
    /// `B` blocks e-way bills (never IRNs).
    pub blocked: bool,
    pub registered_on: Option<NaiveDate>,
    pub deregistered_on: Option<NaiveDate>,
    /// Annual aggregate turnover in rupees; `None` counts as above every threshold (D-54).
    pub aato_inr: Option<u64>,
    pub einvoice_enabled: bool,
    /// Per-GSTIN item limit (up to 5000); `None` means the portal default.
    pub max_items: Option<u32>,
}

impl Taxpayer {
    /// An active, e-invoice enabled regular taxpayer, the common case in tests and the sandbox.
    pub fn active_regular(gstin: &str, aato_inr: Option<u64>) -> Taxpayer {
        let state_code = gstin.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
        Taxpayer {
            gstin: gstin.to_owned(),
            legal_name: format!("Taxpayer {gstin}"),
            trade_name: None,
            state_code,
            taxpayer_type: TaxpayerType::Reg,
            status: RegistrationStatus::Act,
            blocked: false,
            registered_on: None,
            deregistered_on: None,
            aato_inr,
            einvoice_enabled: true,
            max_items: None,
        }
    }
}

/// Answers "who is this GSTIN?" for the rules.
pub trait TaxpayerRegister {
    fn taxpayer(&self, gstin: &str) -> Option<Taxpayer>;
}

/// A register held in memory, keyed by upper-case GSTIN.
#[derive(Debug, Clone, Default)]
pub struct MemoryRegister {
    taxpayers: HashMap<String, Taxpayer>,
}

impl MemoryRegister {
    pub fn new() -> MemoryRegister {
        MemoryRegister::default()
    }

    pub fn insert(&mut self, taxpayer: Taxpayer) {
        self.taxpayers
            .insert(taxpayer.gstin.to_ascii_uppercase(), taxpayer);
    }

    pub fn with(mut self, taxpayer: Taxpayer) -> MemoryRegister {
        self.insert(taxpayer);
        self
    }
}

impl TaxpayerRegister for MemoryRegister {
    fn taxpayer(&self, gstin: &str) -> Option<Taxpayer> {
        self.taxpayers.get(gstin).cloned()
    }
}
