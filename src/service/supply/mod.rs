//! Streams, not only lots: supply contracts with monthly call-offs (`contracts`, `call_offs`),
//! the seasons of streams and demands with the producers' yards (`profiles`), and the alliance's
//! forecast of yards that fill (`forecast`). Depends on `market` (lots, deals, the use check) and
//! `matching` (demands).

pub mod call_offs;
pub mod contracts;
pub mod forecast;
pub mod lab_reports;
pub mod profiles;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::domain::supply::{ContractEvent, ContractStatus};
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::market::catalog::Catalog;
use call_offs::CallOff;
use contracts::{Contract, ContractDecisionRequest, ContractRow};
use lab_reports::{ContractLabReport, ContractReportInput, ReportStanding};

/// A contract with its call-offs, lab reports and the standing of the latest report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractDetail {
    #[serde(flatten)]
    pub contract: Contract,
    pub call_offs: Vec<CallOff>,
    pub lab_reports: Vec<ContractLabReport>,
    pub report_standing: ReportStanding,
}

pub fn detail(conn: &mut DbConnection, row: &ContractRow) -> Result<ContractDetail, ApiError> {
    Ok(ContractDetail {
        contract: row.view(),
        call_offs: call_offs::of_contract(conn, &row.id)?,
        lab_reports: lab_reports::reports(conn, &row.id)?,
        report_standing: lab_reports::standing(conn, row)?,
    })
}

/// Its parties and staff see a contract; for anyone else it does not exist.
pub fn get(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
) -> Result<ContractDetail, ApiError> {
    let row = contracts::load_row(conn, id)?;
    if !(row.party(user) || user.is_staff()) {
        return Err(ApiError::not_found());
    }
    detail(conn, &row)
}

/// The producer files a lab report; one that resumes the contract releases its held call-off.
pub fn file_report(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    id: &str,
    input: &ContractReportInput,
) -> Result<ContractDetail, ApiError> {
    let (row, event) = lab_reports::file(conn, catalog, user, id, input)?;
    if event == Some(ContractEvent::Resume) {
        call_offs::release_held(conn, &row.id)?;
    }
    detail(conn, &row)
}

/// Staff decide an agreed contract; an approved one takes the lot's current lab values as its
/// first report.
pub fn decide(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    id: &str,
    req: &ContractDecisionRequest,
) -> Result<ContractRow, ApiError> {
    let row = contracts::decide(conn, user, id, req)?;
    if row.status == ContractStatus::Active {
        lab_reports::file_first(conn, catalog, &row)?;
    }
    Ok(row)
}
