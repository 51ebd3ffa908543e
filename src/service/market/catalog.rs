//! The material catalog, loaded once from the database (it is seeded by migration), and the
//! checks of lab values against it.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::schema::{categories, category_properties, category_subtypes};
use crate::domain::grading::{self, GradeResult, Properties, PropertyValue, RuleView};
use crate::domain::uses::{self, UseView};
use crate::error::{ApiError, FieldError};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Category {
    /// GB/T 39198-2020 code, e.g. `SW02`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// A hazardous-waste identification report (鉴别报告) is needed before publication.
    pub needs_identification: bool,
    /// Commonly bound for building materials (radioactivity per GB 6566 applies).
    pub building_material: bool,
    /// Where the seed comes from.
    pub source: String,
    pub subtypes: Vec<Subtype>,
    pub properties: Vec<Property>,
    /// Names of the grade rules that apply to lots of this category (some only to sub-types).
    pub grade_rules: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize, ToSchema, Queryable)]
pub struct Subtype {
    pub code: String,
    #[serde(skip)]
    pub category_code: String,
    pub name_zh: String,
    pub name_en: String,
    pub needs_identification: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Property {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    /// Plausible range for numbers.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Allowed values for a choice.
    pub choices: Option<Vec<String>>,
    pub test_standard: String,
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub categories: Vec<Category>,
}

type PropertyRow = (
    String,
    String,
    String,
    String,
    String,
    Option<f64>,
    Option<f64>,
    Option<String>,
    String,
);

impl Catalog {
    pub fn load(conn: &mut DbConnection) -> QueryResult<Self> {
        let cats: Vec<(String, String, String, bool, bool, String)> =
            categories::table.order(categories::code.asc()).load(conn)?;
        let subtypes: Vec<Subtype> = category_subtypes::table
            .select((
                category_subtypes::code,
                category_subtypes::category_code,
                category_subtypes::name_zh,
                category_subtypes::name_en,
                category_subtypes::needs_identification,
            ))
            .order(category_subtypes::code.asc())
            .load(conn)?;
        let props: Vec<PropertyRow> = category_properties::table
            .order((
                category_properties::category_code.asc(),
                category_properties::property_key.asc(),
            ))
            .load(conn)?;
        let categories = cats
            .into_iter()
            .map(
                |(code, name_zh, name_en, needs_identification, building_material, source)| {
                    let mut rules: Vec<&'static str> = grading::RULES
                        .iter()
                        .filter(|r| {
                            r.applies.covers(&code, None, building_material)
                                || subtypes.iter().any(|s| {
                                    s.category_code == code
                                        && r.applies.covers(&code, Some(&s.code), building_material)
                                })
                        })
                        .map(|r| r.name)
                        .collect();
                    rules.dedup();
                    Category {
                        subtypes: subtypes
                            .iter()
                            .filter(|s| s.category_code == code)
                            .cloned()
                            .collect(),
                        properties: props
                            .iter()
                            .filter(|p| p.0 == code)
                            .map(|p| Property {
                                key: p.1.clone(),
                                name_zh: p.2.clone(),
                                name_en: p.3.clone(),
                                unit: p.4.clone(),
                                min: p.5,
                                max: p.6,
                                choices: p
                                    .7
                                    .as_ref()
                                    .map(|c| c.split(',').map(str::to_string).collect()),
                                test_standard: p.8.clone(),
                            })
                            .collect(),
                        grade_rules: rules,
                        code,
                        name_zh,
                        name_en,
                        needs_identification,
                        building_material,
                        source,
                    }
                },
            )
            .collect();
        Ok(Self { categories })
    }

    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// The category (and sub-type) a request names, or field errors that say why not — with
    /// hazardous-waste codes refused outright.
    pub fn resolve(
        &self,
        code: &str,
        subtype: Option<&str>,
    ) -> Result<(&Category, Option<&Subtype>), ApiError> {
        if let Some(reason) = crate::domain::listing::hazardous_reason(code) {
            return Err(hazardous(reason));
        }
        let category = self.category(code).ok_or_else(|| {
            ApiError::field(
                "category",
                "unknown_category",
                "is not a GB/T 39198 category of the catalog",
            )
        })?;
        let subtype =
            match subtype {
                None => None,
                Some(s) => Some(category.subtypes.iter().find(|t| t.code == s).ok_or_else(
                    || {
                        ApiError::field(
                            "subtype",
                            "unknown_subtype",
                            "is not a sub-type of the category",
                        )
                    },
                )?),
            };
        Ok((category, subtype))
    }

    /// Lab values: known keys, numbers within the plausible range, choices among the allowed.
    pub fn check_properties(
        category: &Category,
        values: &Properties,
        field: &str,
    ) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if values.len() > 40 {
            errors.push(FieldError::new(field, "too_many", "at most 40 properties"));
        }
        for (key, value) in values {
            let path = format!("{field}.{key}");
            let Some(p) = category.properties.iter().find(|p| &p.key == key) else {
                errors.push(FieldError::new(
                    path,
                    "unknown_property",
                    format!("is not a property of {}", category.code),
                ));
                continue;
            };
            match (value, &p.choices) {
                (PropertyValue::Text(t), Some(choices)) if !choices.contains(t) => {
                    errors.push(FieldError::new(
                        path,
                        "invalid_choice",
                        format!("must be one of {}", choices.join(", ")),
                    ))
                }
                (PropertyValue::Text(_), Some(_)) => {}
                (PropertyValue::Number(_), Some(_)) => errors.push(FieldError::new(
                    path,
                    "invalid_type",
                    "must be one of the listed choices",
                )),
                (PropertyValue::Text(_), None) => {
                    errors.push(FieldError::new(path, "invalid_type", "must be a number"))
                }
                (PropertyValue::Number(n), None) => {
                    let low = p.min.unwrap_or(f64::MIN);
                    let high = p.max.unwrap_or(f64::MAX);
                    if !n.is_finite() || *n < low || *n > high {
                        errors.push(FieldError::new(
                            path,
                            "out_of_range",
                            format!("must be between {low} and {high} {}", p.unit),
                        ));
                    }
                }
            }
        }
        errors
    }

    pub fn grades(
        &self,
        category: &Category,
        subtype: Option<&str>,
        values: &Properties,
    ) -> BTreeMap<&'static str, GradeResult> {
        grading::grade_all(&category.code, subtype, category.building_material, values)
    }
}

/// The rule table and the use table, as published by `GET /catalog/rules`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleBook {
    /// Version of the whole rule set, stored with every computed grade.
    pub rule_set: &'static str,
    pub grading: Vec<RuleView>,
    pub uses: Vec<UseView>,
}

pub fn rule_book() -> RuleBook {
    RuleBook {
        rule_set: grading::RULE_SET,
        grading: grading::RULES.iter().map(grading::Rule::view).collect(),
        uses: uses::USE_RULES.iter().map(uses::UseRule::view).collect(),
    }
}

/// The use table refuses the pair: 422 `use_not_permitted`, the rule named in `errors[].code`.
pub fn use_refused(r: uses::Refusal) -> ApiError {
    let mut e = ApiError::unprocessable(
        "use_not_permitted",
        format!("{} (rule {})", r.message, r.rule),
    );
    e.errors = vec![FieldError::new(
        "intended_use",
        "use_not_permitted",
        r.message,
    )];
    e.rule = Some(r.rule);
    e
}

pub fn hazardous(reason: String) -> ApiError {
    let mut e = ApiError::unprocessable("hazardous_waste_out_of_scope", reason.clone());
    e.errors = vec![FieldError::new("category", "hazardous_waste", reason)];
    e
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GradeRequest {
    #[schema(example = "SW02", max_length = 20)]
    pub category: String,
    #[schema(max_length = 40)]
    pub subtype: Option<String>,
    #[schema(schema_with = crate::service::input::properties_schema)]
    pub properties: Properties,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GradeResponse {
    pub category: String,
    pub subtype: Option<String>,
    /// By rule name: `fly_ash`, `ggbs`, `radioactivity`, `leaching`… (see `GET /catalog/rules`).
    #[schema(value_type = Object)]
    pub grades: BTreeMap<&'static str, GradeResult>,
}

/// Grades lab values without saving anything.
pub fn grade(catalog: &Catalog, req: GradeRequest) -> Result<GradeResponse, ApiError> {
    let (category, subtype) = catalog.resolve(&req.category, req.subtype.as_deref())?;
    let errors = Catalog::check_properties(category, &req.properties, "properties");
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(GradeResponse {
        category: category.code.clone(),
        subtype: subtype.map(|s| s.code.clone()),
        grades: catalog.grades(category, subtype.map(|s| s.code.as_str()), &req.properties),
    })
}
