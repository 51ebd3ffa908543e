//! /catalog: the material categories and a grade calculator.

use actix_web::{get, post, web};

use crate::error::ApiResult;
use crate::http::WriteProblems;
use crate::service::market::catalog::{self, Category, GradeRequest, GradeResponse, RuleBook};
use crate::service::page::Page;
use crate::startup::AppState;

/// GB/T 39198 categories with sub-types, lab properties and the grade rules that apply. Public.
#[utoipa::path(tag = "catalog", responses((status = 200, body = Page<Category>)))]
#[get("/catalog/categories")]
pub async fn list_categories(state: web::Data<AppState>) -> web::Json<Page<Category>> {
    web::Json(Page {
        items: state.catalog.categories.clone(),
        next_cursor: None,
    })
}

/// The rules of the trade: every grading rule with its limits, source and test methods, and the
/// use table (which materials and grades each intended use takes). Clients explain a refusal
/// from this without hard-coding the standards. Public.
#[utoipa::path(tag = "catalog", responses((status = 200, body = RuleBook)))]
#[get("/catalog/rules")]
pub async fn rules() -> web::Json<RuleBook> {
    web::Json(catalog::rule_book())
}

/// Computes the grades lab values would get, without saving anything. Public.
#[utoipa::path(
    tag = "catalog",
    request_body = GradeRequest,
    responses(
        (status = 200, body = GradeResponse),
        WriteProblems,
    )
)]
#[post("/catalog/grade")]
pub async fn grade_sample(
    state: web::Data<AppState>,
    body: web::Json<GradeRequest>,
) -> ApiResult<web::Json<GradeResponse>> {
    Ok(web::Json(catalog::grade(
        &state.catalog,
        body.into_inner(),
    )?))
}
