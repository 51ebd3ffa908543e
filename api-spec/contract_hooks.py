"""Schemathesis hooks for scripts/contract.sh: the positive-data check, told which refusals are
business rules.

A request that fits the OpenAPI schema must be accepted, unless it breaks a rule no JSON Schema can
state. Such a refusal is a 412 or 422 problem whose codes (the problem's `code`, and for 422 each
field error's `code`) are all listed below with the reason no schema can express them. Any other
refusal of schema-valid data fails the run: the spec is missing a constraint the server enforces.
"""

import schemathesis

# code -> why a schema cannot state it
BUSINESS_RULES = {
    # Accounts
    "too_weak": "password strength is judged by zxcvbn against the user's own name and email",
    "invalid_uscc": "the USCC check character is computed (GB 32100-2015 mod-31 weights)",
    "invalid_token": "a token is valid only if the server issued it and it is unspent and unexpired",
    "wrong_password": "the current password is a secret the server checks",
    "one_of": "registration takes a new organization or an invitation, exactly one of the two",
    "not_allowed": "a field allowed only in some states of its siblings (a reserve on a fixed-price lot, a monthly amount on a one-off supply, the admin role)",
    # Catalog and lots
    "unknown_category": "categories come from the catalog table, which staff maintain",
    "unknown_subtype": "sub-types depend on the category chosen",
    "unknown_property": "the properties a lot may carry depend on its category",
    "out_of_range": "a property's range depends on the property the key names",
    "invalid_type": "a property is a number or a text depending on the property the key names",
    "invalid_choice": "a text property takes one of the choices its catalog entry lists",
    "unknown_site": "the site must belong to the caller's organization",
    "unknown_project": "a deal is tagged only with a research project that exists and the caller can see",
    "exceeds_quantity": "the minimum order is compared with the quantity of the same body",
    "exceeds_remaining": "what remains of a lot is data, not schema",
    "exceeds_offer": "an acceptance cannot exceed the offer's own quantity",
    "below_minimum": "an offer's minimum is the lot's minimum order",
    "below_reserve": "the reserve is the lot's, not the request's",
    "below_sold": "a lot cannot shrink below what it already sold",
    "before_start": "an end must come after a start given in the same body (or stored)",
    "in_future": "a date must not be after today, which a schema cannot know",
    "in_past": "an expiry must be after now",
    "too_late": "an expiry at most 90 days ahead of now",
    "required": "required only for some values of a sibling (a fixed price, a recurring supply)",
    "identification_report_required": "publication gate for some categories",
    "radioactivity_required": "publication gate for building materials in some regions",
    "hazardous_waste": "a hazardous-waste code or characteristic puts a lot out of scope",
    "invalid_url": "an attachment URL must parse and use http(s) with a host",
    "incomplete": "near_lat and near_lon come together",
    "needs_point": "sorting by distance needs near_lat and near_lon",
    "invalid_cursor": "a cursor is valid only as this list's next_cursor",
    "invalid_amount": "amounts are exact decimals within the storage range",
    "too_precise": "tonnes carry at most 3 decimals, yuan at most 2",
    "not_positive": "a tonnage must be above zero",
    "range": "a bound whose valid range depends on another field",
    "grade_rule": "grading rules apply to the categories the catalog gives them",
    "unknown_version": "CO2 factor versions are data the alliance publishes",
    "unknown_grade": "grading rules and their grades come from the catalog",
    "use_not_permitted": "the use table (GET /catalog/rules) takes a lot for a use by its category, sub-type and stored grades",
    "invalid_national_code": "a national code's class must be the lot's category, which is another field",
    "min_above_max": "a bound's min is compared with its max in the same body",
    "blank": "white space differs between regex engines (Unicode White_Space vs \\s), so 'not only white space' has no portable pattern",
    # City desk
    "unknown_organization": "a key project's owner must be an organization of the exchange (data)",
    "invalid_email": "email addresses are checked by the validator crate's rule, stricter than JSON Schema's `format: email`",
    "equals_baseline": "an indicator's target must differ from its baseline, another field of the same body",
    "invalid_region": "a district's code must lie within the city's code, another field of the same body",
    # Supply contracts
    "term_too_long": "a contract's term runs at most 36 months from its start, another field of the same body",
    "beyond_availability": "a contract's term must end within its lot's availability, which is data",
    "outside_term": "a quarter's price or a call-off's month must fall within the contract's term (another field, or stored) and the months open to call-offs today",
    "outside_band": "a call-off's tonnage must fall within the contract's stored monthly band",
    "unknown_listing": "a contract draws on a lot of the exchange (data)",
    "unknown_demand": "a contract answers a recurring demand the caller may answer (data)",
    "duplicate": "each quarter appears once in a price schedule, each district once in a city profile: uniqueness by one member of the items",
    # Trade
    "version_mismatch": "If-Match must name the current version, which is data",
    "idempotency_key_reused": "an Idempotency-Key reused with another body",
    "weight_difference_flagged": "weighbridge tolerance is a configured percentage",
    "not_below_gross": "tare is compared with the gross weight of the same body",
    "mismatch": "net weight, when sent, must equal gross minus tare of the same body",
    "over_road_limit": "the road weight limit (GB 1589) is configured, WUFEI_ROAD_LIMIT_KG",
    "rejected_load": "a load turned away is received as 0 kg, which depends on the rejected flag of the same body",
    "uscc_override_required": "an organization whose USCC check failed is verified only with an override",
}


@schemathesis.check
def business_rule_refusals(ctx, response, case):
    """Schema-valid data is accepted, or refused only by a listed business rule."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 412, 415, 422):
        return None
    try:
        body = response.json()
    except Exception:
        raise AssertionError(f"{response.status_code} without a problem body")
    codes = {e.get("code") for e in body.get("errors") or []} or {body.get("code")}
    unlisted = sorted(c for c in codes if c not in BUSINESS_RULES)
    if unlisted:
        raise AssertionError(
            f"Schema-valid data refused with {response.status_code} {body.get('code')}: "
            f"{', '.join(unlisted)} is not a listed business rule "
            f"({'; '.join(e.get('field', '') + ': ' + e.get('message', '') for e in body.get('errors') or [])})"
        )
    return None
