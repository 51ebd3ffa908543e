//! Unified Social Credit Code (统一社会信用代码), GB 32100-2015.

const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A well-formed code either carries a correct check character or not. Some genuine early codes
/// fail the check, so a failing code is not refused outright: staff must override it (docs/DESIGN.md, "Organizations").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsccCheck {
    Valid,
    CheckCharacterMismatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("must be exactly 18 characters")]
    Length,
    #[error("may only use 0-9 and the letters A-Y without I, O, S, V, Z")]
    Character,
    #[error("the registration authority code (first character) must be a digit, A, N or Y")]
    Authority,
}

/// The prefecture-level city an organization is registered in: characters 3–6 of its code
/// (characters 3–8 are the registration authority's administrative division code, GB 32100).
pub fn registered_city(uscc: &str) -> &str {
    uscc.get(2..6)
        .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_default()
}

/// The district an organization is registered in: characters 3–8 of its code.
pub fn registered_district(uscc: &str) -> &str {
    uscc.get(2..8)
        .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_default()
}

fn value(c: char) -> Option<u32> {
    ALPHABET.find(c).map(|i| i as u32)
}

fn check_value(body: &[u32]) -> u32 {
    let sum: u32 = body.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    (31 - sum % 31) % 31
}

/// Completes a 17-character body with its check character (for generated demo and test codes).
pub fn with_check_character(body: &str) -> Option<String> {
    let values: Vec<u32> = body.chars().map(value).collect::<Option<_>>()?;
    if values.len() != 17 {
        return None;
    }
    let check = ALPHABET.chars().nth(check_value(&values) as usize)?;
    Some(format!("{body}{check}"))
}

/// Normalises (trims, upper-cases) and checks a code. Returns the normalised code.
pub fn check(raw: &str) -> Result<(String, UsccCheck), UsccError> {
    let code = raw.trim().to_ascii_uppercase();
    if code.chars().count() != 18 {
        return Err(UsccError::Length);
    }
    // The body must use the code's alphabet. The check character is only compared: any letter or
    // digit that is not the expected one is a failed check, which staff may override.
    let values: Vec<u32> = code
        .chars()
        .take(17)
        .map(value)
        .collect::<Option<_>>()
        .ok_or(UsccError::Character)?;
    let last = code
        .chars()
        .last()
        .filter(char::is_ascii_alphanumeric)
        .ok_or(UsccError::Character)?;
    let first = code.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'A' | b'N' | b'Y')) {
        return Err(UsccError::Authority);
    }
    let result = if value(last) == Some(check_value(&values)) {
        UsccCheck::Valid
    } else {
        UsccCheck::CheckCharacterMismatch
    };
    Ok((code, result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_valid_codes_pass() {
        for code in [
            "91110000600037341L",
            "91350100M000100Y43",
            "91512081MA62K0260E",
        ] {
            assert_eq!(check(code).unwrap().1, UsccCheck::Valid, "{code}");
        }
    }

    #[test]
    fn wrong_check_character_is_flagged_not_refused() {
        assert_eq!(
            check("91350100M000100Y4Z").unwrap().1,
            UsccCheck::CheckCharacterMismatch
        );
        assert_eq!(
            check("91350100M000100Y44").unwrap().1,
            UsccCheck::CheckCharacterMismatch
        );
    }

    #[test]
    fn malformed_codes_are_refused() {
        assert_eq!(check("9111000060003734").unwrap_err(), UsccError::Length);
        assert_eq!(
            check("9111000060003734IL").unwrap_err(),
            UsccError::Character
        );
        assert_eq!(
            check("91110000600037341-").unwrap_err(),
            UsccError::Character
        );
        assert_eq!(
            check("B1110000600037341L").unwrap_err(),
            UsccError::Authority
        );
        assert_eq!(check("").unwrap_err(), UsccError::Length);
    }

    #[test]
    fn completed_codes_pass_the_check() {
        assert_eq!(
            with_check_character("91110000600037341").as_deref(),
            Some("91110000600037341L")
        );
        assert_eq!(with_check_character("9111"), None);
    }

    #[test]
    fn lower_case_and_spaces_are_normalised() {
        let (code, result) = check(" 91110000600037341l ").unwrap();
        assert_eq!(code, "91110000600037341L");
        assert_eq!(result, UsccCheck::Valid);
    }
}
