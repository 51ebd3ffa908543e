//! Research projects: proposed by research organizations, approved by staff, tagged on the deals
//! that supply them; a project page shows its deals, delivered tonnes, and the stranded streams
//! and demands of its categories. The only writer of `research_projects`.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::new_id;
use crate::db::schema::{deals, demands, listings, offers, organizations, research_projects};
use crate::db::{DbConnection, now};
use crate::domain::listing::ListingStatus;
use crate::domain::notification::NotificationKind;
use crate::domain::organization::OrgKind;
use crate::domain::project::{ProjectEvent, ProjectStatus, transition};
use crate::domain::quantity::format_tonnes;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::input::{Checks, Tonnes, whole};
use crate::service::market::catalog::Catalog;
use crate::service::market::deals::{self as deal_records, Deal, DealRow};
use crate::service::market::lots::{Listing, ListingRow, views};
use crate::service::matching::demands::{DemandRow, DemandSummary};
use crate::service::notifications::{Notice, notify_owners};
use crate::service::page::{Page, PageQuery};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 3,
        max_length = 200
    )]
    pub title: String,
    #[schema(
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        max_length = 5000
    )]
    pub description: String,
    /// Category codes it can absorb.
    pub categories: Vec<String>,
    /// Technology readiness level, 1–9.
    #[schema(minimum = 1, maximum = 9)]
    #[serde(deserialize_with = "whole::deserialize")]
    pub trl: i32,
    /// Tonnes the trial needs.
    pub trial_t: Tonnes,
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct Project {
    pub id: String,
    pub organization_id: String,
    pub title: String,
    pub description: String,
    pub categories: Vec<String>,
    pub trl: i32,
    pub trial_t: String,
    pub status: ProjectStatus,
    pub status_reason: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Debug, Clone)]
pub struct ProjectRow {
    pub id: String,
    pub organization_id: String,
    pub title: String,
    pub description: String,
    pub categories: String,
    pub trl: i32,
    pub trial_kg: i64,
    pub status: String,
    pub status_reason: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ProjectRow {
    pub fn status(&self) -> ProjectStatus {
        ProjectStatus::parse(&self.status).unwrap_or(ProjectStatus::Proposed)
    }

    fn categories(&self) -> Vec<String> {
        self.categories
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn view(&self) -> Project {
        Project {
            id: self.id.clone(),
            organization_id: self.organization_id.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            categories: self.categories(),
            trl: self.trl,
            trial_t: format_tonnes(self.trial_kg),
            status: self.status(),
            status_reason: self.status_reason.clone(),
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }
}

fn load_row(conn: &mut DbConnection, id: &str) -> Result<ProjectRow, ApiError> {
    Ok(research_projects::table.find(id).first(conn)?)
}

/// Staff and the owning organization see a project in any state; verified members see the
/// approved, running and finished ones (so producers can route streams to them).
fn visible(user: &CurrentUser, p: &ProjectRow) -> bool {
    user.is_staff()
        || user.belongs_to(&p.organization_id)
        || (p.status() != ProjectStatus::Proposed
            && p.status() != ProjectStatus::Rejected
            && user.require_verified_member().is_ok())
}

pub fn create(
    conn: &mut DbConnection,
    catalog: &Catalog,
    user: &CurrentUser,
    input: &ProjectInput,
) -> Result<Project, ApiError> {
    let org = user.require_verified_member()?.to_string();
    let kinds: String = organizations::table
        .find(&org)
        .select(organizations::kinds)
        .first(conn)?;
    if !OrgKind::split(&kinds).contains(&OrgKind::Research) {
        return Err(ApiError::forbidden(
            "research_only",
            "Only research organizations propose projects.",
        ));
    }
    let mut c = Checks::default();
    c.text("title", &input.title, 3, 200);
    c.long_text("description", &input.description, 0, 5000);
    if input.categories.is_empty() || input.categories.len() > 5 {
        c.push("categories", "length", "name 1 to 5 categories");
    }
    for (i, code) in input.categories.iter().enumerate() {
        if catalog.category(code).is_none() {
            c.push(
                &format!("categories[{i}]"),
                "unknown_category",
                "is not a category of the catalog",
            );
        }
    }
    if !(1..=9).contains(&input.trl) {
        c.push("trl", "out_of_range", "must be 1 to 9");
    }
    let trial = c.tonnes("trial_t", &input.trial_t);
    c.finish()?;
    let id = new_id();
    let at = now();
    diesel::insert_into(research_projects::table)
        .values((
            research_projects::id.eq(&id),
            research_projects::organization_id.eq(&org),
            research_projects::title.eq(input.title.trim()),
            research_projects::description.eq(input.description.trim()),
            research_projects::categories.eq(input.categories.join(",")),
            research_projects::trl.eq(input.trl),
            research_projects::trial_kg.eq(trial.unwrap_or_default()),
            research_projects::status.eq(ProjectStatus::Proposed.as_str()),
            research_projects::created_at.eq(at),
            research_projects::updated_at.eq(at),
        ))
        .execute(conn)?;
    let project = load_row(conn, &id)?.view();
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "research_project.proposed",
            object_type: "research_project",
            object_id: &id,
            reason: None,
        },
        None::<&()>,
        Some(&project),
    )?;
    Ok(project)
}

pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    page: &PageQuery,
) -> Result<Page<Project>, ApiError> {
    let limit = page.limit()?;
    let mut q = research_projects::table
        .order(research_projects::id.asc())
        .limit(limit)
        .into_boxed();
    if !user.is_staff() {
        let own = user.organization_id.clone().unwrap_or_default();
        let shown = [
            ProjectStatus::Approved,
            ProjectStatus::Active,
            ProjectStatus::Finished,
        ]
        .map(ProjectStatus::as_str);
        q = if user.require_verified_member().is_ok() {
            q.filter(
                research_projects::organization_id
                    .eq(own)
                    .or(research_projects::status.eq_any(shown)),
            )
        } else {
            q.filter(research_projects::organization_id.eq(own))
        };
    }
    if let Some(after) = page.after::<String>()? {
        q = q.filter(research_projects::id.gt(after));
    }
    let rows: Vec<ProjectRow> = q.load(conn)?;
    Ok(Page::new(rows, limit, |p| p.id.clone()).map(|p| p.view()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectDetail {
    pub project: Project,
    /// Deals tagged with the project (the caller's own, or all for staff and the project's owner).
    pub deals: Vec<Deal>,
    /// Tonnes delivered to the project so far.
    pub delivered_t: String,
    /// Published lots of its categories that nobody has offered on for the stranded period.
    pub stranded_listings: Vec<Listing>,
    /// Open demands of its categories, as the boards show another organization's demand (staff
    /// open a demand for its full terms).
    pub demands: Vec<DemandSummary>,
}

pub fn page(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    stranded_days: i64,
) -> Result<ProjectDetail, ApiError> {
    let row = load_row(conn, id)?;
    if !visible(user, &row) {
        return Err(ApiError::not_found());
    }
    let categories = row.categories();
    let tagged: Vec<DealRow> = deals::table
        .filter(deals::research_project_id.eq(id))
        .order(deals::id.asc())
        .load(conn)?;
    let delivered: i64 = tagged.iter().map(|d| d.delivered_kg).sum();
    let insider = user.is_staff() || user.belongs_to(&row.organization_id);
    let deals = tagged
        .iter()
        .filter(|d| {
            insider || user.belongs_to(&d.producer_org_id) || user.belongs_to(&d.receiver_org_id)
        })
        .map(DealRow::view)
        .collect();
    let cutoff = now() - Duration::days(stranded_days);
    let stranded: Vec<ListingRow> = listings::table
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .filter(listings::category_code.eq_any(&categories))
        .filter(listings::published_at.le(cutoff))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            offers::table.filter(offers::listing_id.eq(listings::id)),
        )))
        .order(listings::id.asc())
        .limit(20)
        .load(conn)?;
    let mut open: Vec<DemandRow> = Vec::new();
    for category in &categories {
        let found: Vec<DemandRow> = demands::table
            .filter(demands::status.eq("open"))
            .filter(demands::categories.like(format!("%{category}%")))
            .order(demands::id.asc())
            .limit(20)
            .load(conn)?;
        for d in found {
            if !open.iter().any(|o| o.id == d.id) {
                open.push(d);
            }
        }
    }
    Ok(ProjectDetail {
        project: row.view(),
        deals,
        delivered_t: format_tonnes(delivered),
        stranded_listings: views(conn, stranded)?,
        demands: if insider {
            open.iter().map(DemandRow::summary).collect()
        } else {
            Vec::new()
        },
    })
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProjectMove {
    /// Staff only.
    Approve,
    /// Staff only.
    Reject,
    /// The owner or staff.
    Start,
    /// The owner or staff.
    Finish,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectDecisionRequest {
    pub decision: ProjectMove,
    #[schema(schema_with = crate::service::input::reason_schema)]
    pub reason: String,
}

pub fn decide(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    req: &ProjectDecisionRequest,
) -> Result<Project, ApiError> {
    let before = load_row(conn, id)?;
    if !visible(user, &before) {
        return Err(ApiError::not_found());
    }
    let event = match req.decision {
        ProjectMove::Approve => ProjectEvent::Approve,
        ProjectMove::Reject => ProjectEvent::Reject,
        ProjectMove::Start => ProjectEvent::Start,
        ProjectMove::Finish => ProjectEvent::Finish,
    };
    let staff_only = matches!(event, ProjectEvent::Approve | ProjectEvent::Reject);
    if staff_only {
        user.require_staff()?;
    } else if !(user.is_staff() || user.belongs_to(&before.organization_id)) {
        return Err(ApiError::forbidden(
            "owner_required",
            "Only the project's organization or staff move it.",
        ));
    }
    let mut c = Checks::default();
    c.reason("reason", &req.reason);
    c.finish()?;
    let to = transition(before.status(), event).ok_or_else(|| {
        ApiError::conflict(
            "invalid_state",
            format!(
                "A project that is {} cannot be {}.",
                before.status().label(),
                event.past_tense()
            ),
        )
    })?;
    let changed = diesel::update(
        research_projects::table
            .find(id)
            .filter(research_projects::status.eq(&before.status)),
    )
    .set((
        research_projects::status.eq(to.as_str()),
        research_projects::status_reason.eq(&req.reason),
        research_projects::version.eq(research_projects::version + 1),
        research_projects::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(ApiError::conflict(
            "invalid_state",
            "The project changed meanwhile.",
        ));
    }
    let after = load_row(conn, id)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: &format!("research_project.{}", after.status),
            object_type: "research_project",
            object_id: id,
            reason: Some(&req.reason),
        },
        Some(&before.view()),
        Some(&after.view()),
    )?;
    notify_owners(
        conn,
        &after.organization_id,
        &Notice::with_note(
            NotificationKind::ResearchProjectUpdated,
            &format!("科研项目状态：{}", after.status),
            &format!("Research project {}", after.status),
            &req.reason,
            "research_project",
            id,
        ),
    )?;
    Ok(after.view())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagRequest {
    pub research_project_id: String,
}

/// Tags a deal with the approved or running project it supplies (a party of the deal, or staff).
pub fn tag_deal(
    conn: &mut DbConnection,
    user: &CurrentUser,
    deal_id: &str,
    req: &TagRequest,
) -> Result<Deal, ApiError> {
    let before = deal_records::load_row(conn, deal_id)?;
    let party =
        user.belongs_to(&before.producer_org_id) || user.belongs_to(&before.receiver_org_id);
    if !(party || user.is_staff()) {
        return Err(ApiError::not_found());
    }
    let project = research_projects::table
        .find(&req.research_project_id)
        .first::<ProjectRow>(conn)
        .optional()?
        .filter(|p| visible(user, p))
        .ok_or_else(|| {
            ApiError::field(
                "research_project_id",
                "unknown_project",
                "is not a project you can see",
            )
        })?;
    if !project.status().takes_deals() {
        return Err(ApiError::conflict(
            "project_not_running",
            "Only approved or active projects take deals.",
        ));
    }
    let category: String = listings::table
        .find(&before.listing_id)
        .select(listings::category_code)
        .first(conn)?;
    if !project.categories().contains(&category) {
        return Err(ApiError::field(
            "research_project_id",
            "category_mismatch",
            "the project does not absorb this material",
        ));
    }
    deal_records::tag_project(conn, deal_id, Some(&project.id))?;
    let after = deal_records::load_row(conn, deal_id)?;
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "deal.tagged_research_project",
            object_type: "deal",
            object_id: deal_id,
            reason: None,
        },
        Some(&before.view()),
        Some(&after.view()),
    )?;
    Ok(after.view())
}
