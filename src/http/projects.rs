//! /research-projects and tagging deals with them.

use actix_web::{HttpResponse, get, post, web};

use crate::error::ApiResult;
use crate::http::extractors::AuthUser;
use crate::http::{ReadProblems, WriteProblems};
use crate::service::alliance::projects::{
    self, Project, ProjectDecisionRequest, ProjectDetail, ProjectInput, TagRequest,
};
use crate::service::market::deals::Deal;
use crate::service::page::{Page, PageQuery};
use crate::startup::AppState;

/// Proposes a research project (members of verified research organizations); staff approve it.
#[utoipa::path(tag = "alliance", security(("bearer" = [])), request_body = ProjectInput,
    responses((status = 201, body = Project), WriteProblems))]
#[post("/research-projects")]
pub async fn create_project(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    body: web::Json<ProjectInput>,
) -> ApiResult<HttpResponse> {
    let catalog = state.catalog.clone();
    let body = body.into_inner();
    let project = state
        .db
        .write(move |conn| projects::create(conn, &catalog, &user, &body))
        .await?;
    Ok(HttpResponse::Created().json(project))
}

/// Research projects: approved, active and finished ones for verified members, your own in any
/// state, all for staff.
#[utoipa::path(tag = "alliance", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<Project>), ReadProblems))]
#[get("/research-projects")]
pub async fn list_projects(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    page: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<Project>>> {
    let items = state
        .db
        .read(move |conn| projects::list(conn, &user, &page))
        .await?;
    Ok(web::Json(items))
}

/// A project page: its deals and delivered tonnes, and the stranded streams and demands of its categories.
#[utoipa::path(tag = "alliance", security(("bearer" = [])), params(("id" = String, Path, description = "Project id")),
    responses((status = 200, body = ProjectDetail), ReadProblems))]
#[get("/research-projects/{id}")]
pub async fn get_project(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
) -> ApiResult<web::Json<ProjectDetail>> {
    let id = path.into_inner();
    let days = state.settings.trade.stranded_days;
    Ok(web::Json(
        state
            .db
            .read(move |conn| projects::page(conn, &user, &id, days))
            .await?,
    ))
}

/// Moves a project: staff approve or reject; the owner or staff start and finish it. A reason is required.
#[utoipa::path(tag = "alliance", security(("bearer" = [])), params(("id" = String, Path, description = "Project id")),
    request_body = ProjectDecisionRequest, responses((status = 200, body = Project), WriteProblems))]
#[post("/research-projects/{id}/decision")]
pub async fn decide_project(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<ProjectDecisionRequest>,
) -> ApiResult<web::Json<Project>> {
    let id = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        state
            .db
            .write(move |conn| projects::decide(conn, &user, &id, &body))
            .await?,
    ))
}

/// Tags a deal with the research project it supplies (a party of the deal, or staff).
#[utoipa::path(tag = "deals", security(("bearer" = [])), params(("id" = String, Path, description = "Deal id")),
    request_body = TagRequest, responses((status = 200, body = Deal), WriteProblems))]
#[post("/deals/{id}/research-project")]
pub async fn tag_deal_with_project(
    state: web::Data<AppState>,
    AuthUser(user): AuthUser,
    path: web::Path<String>,
    body: web::Json<TagRequest>,
) -> ApiResult<web::Json<Deal>> {
    let id = path.into_inner();
    let body = body.into_inner();
    Ok(web::Json(
        state
            .db
            .write(move |conn| projects::tag_deal(conn, &user, &id, &body))
            .await?,
    ))
}
