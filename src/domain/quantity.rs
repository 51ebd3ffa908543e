//! Tonnes and yuan at the edge, kilograms and fen inside (docs/DESIGN.md, "Units"). Parsing is
//! exact: decimal strings are read digit by digit, never through a float.

use rust_decimal::Decimal;

/// Largest quantity on one lot or order: just under ten million tonnes (7 integer digits).
pub const MAX_KG: i64 = 9_999_999_999;
/// Largest price magnitude: just under one million yuan per tonne (6 integer digits).
pub const MAX_FEN_PER_T: i64 = 99_999_999;

/// Tonnes as a string, exactly what `parse_tonnes` accepts: positive, at most 7 integer digits
/// and 3 decimals, no leading zeros. Published in the API spec.
pub const TONNES_PATTERN: &str =
    r"^([1-9][0-9]{0,6}(\.[0-9]{1,3})?|0\.([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))$";
/// Tonnes that may be zero (a month nothing was disposed of), as a string: exactly what
/// `parse_tonnes_or_zero` accepts.
pub const TONNES_OR_ZERO_PATTERN: &str = r"^(0|[1-9][0-9]{0,6})(\.[0-9]{1,3})?$";
/// Yuan as a string, exactly what `parse_yuan` accepts: may be negative, at most 6 integer
/// digits and 2 decimals, no leading zeros.
pub const YUAN_PATTERN: &str = r"^-?(0|[1-9][0-9]{0,5})(\.[0-9]{1,2})?$";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("is not a decimal number")]
    NotANumber,
    #[error("has more than {0} decimals")]
    TooPrecise(u32),
    #[error("must be greater than zero")]
    NotPositive,
    #[error("must not be negative")]
    Negative,
    #[error("is out of range")]
    OutOfRange,
}

impl AmountError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotANumber => "not_a_number",
            Self::TooPrecise(_) => "too_precise",
            Self::NotPositive => "not_positive",
            Self::Negative => "negative",
            Self::OutOfRange => "out_of_range",
        }
    }
}

/// Reads `-?(0|[1-9][0-9]*)(.[0-9]+)?` digit by digit into units of 10^-`decimals`.
fn parse_scaled(text: &str, decimals: usize, max_int_digits: usize) -> Result<i64, AmountError> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int)
        || (int.len() > 1 && int.starts_with('0'))
        || (body.contains('.') && !digits(frac))
    {
        return Err(AmountError::NotANumber);
    }
    if frac.len() > decimals {
        return Err(AmountError::TooPrecise(decimals as u32));
    }
    if int.len() > max_int_digits {
        return Err(AmountError::OutOfRange);
    }
    let scaled = format!("{int}{frac:0<decimals$}");
    let value: i64 = scaled.parse().map_err(|_| AmountError::OutOfRange)?;
    Ok(if negative { -value } else { value })
}

/// `"1250.5"` t → 1 250 500 kg. Zero or negative is refused.
pub fn parse_tonnes(text: &str) -> Result<i64, AmountError> {
    let kg = parse_scaled(text, 3, 7)?;
    if kg <= 0 {
        return Err(AmountError::NotPositive);
    }
    Ok(kg)
}

/// Large sums of yuan (investments, output values) with at most `max_int_digits` integer digits,
/// to the fen.
pub fn parse_large_yuan(text: &str, max_int_digits: usize) -> Result<i64, AmountError> {
    parse_scaled(text, 2, max_int_digits)
}

/// Tonnes or zero, for figures such as a month's disposal.
pub fn parse_tonnes_or_zero(text: &str) -> Result<i64, AmountError> {
    let kg = parse_scaled(text, 3, 7)?;
    if kg < 0 {
        return Err(AmountError::Negative);
    }
    Ok(kg)
}

/// `"-35.00"` yuan → −3 500 fen. Prices may be negative (a gate fee the producer pays).
pub fn parse_yuan(text: &str) -> Result<i64, AmountError> {
    parse_scaled(text, 2, 6)
}

/// 1 250 500 kg → `"1250.5"`; whole tonnes have no decimals.
pub fn format_tonnes(kg: i64) -> String {
    Decimal::new(kg, 3).normalize().to_string()
}

/// −3 500 fen → `"-35.00"`.
pub fn format_yuan(fen: i64) -> String {
    Decimal::new(fen, 2).to_string()
}

/// A deal amount: price per tonne × tonnes, rounded half away from zero (四舍五入) to the fen,
/// in integers: fen/t × kg / 1000.
pub fn amount_fen(price_fen_per_t: i64, kg: i64) -> i64 {
    let product = i128::from(price_fen_per_t) * i128::from(kg);
    let (q, r) = (product / 1000, product % 1000);
    let rounded = if r.abs() * 2 >= 1000 {
        q + product.signum()
    } else {
        q
    };
    rounded as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tonnes_parse_exactly() {
        assert_eq!(parse_tonnes("0.001"), Ok(1));
        assert_eq!(parse_tonnes("12.5"), Ok(12_500));
        assert_eq!(parse_tonnes("1250.500"), Ok(1_250_500));
        assert_eq!(parse_tonnes("1200"), Ok(1_200_000));
        assert_eq!(parse_tonnes("0.0001"), Err(AmountError::TooPrecise(3)));
        assert_eq!(parse_tonnes("-1"), Err(AmountError::NotPositive));
        assert_eq!(parse_tonnes("0"), Err(AmountError::NotPositive));
        assert_eq!(parse_tonnes("abc"), Err(AmountError::NotANumber));
        assert_eq!(parse_tonnes("1e3"), Err(AmountError::NotANumber));
        assert_eq!(parse_tonnes(""), Err(AmountError::NotANumber));
        assert_eq!(parse_tonnes("99999999999"), Err(AmountError::OutOfRange));
        assert_eq!(parse_tonnes("9999999.999"), Ok(MAX_KG));
        assert_eq!(parse_tonnes("10000000"), Err(AmountError::OutOfRange));
        // The published pattern's grammar: no leading zeros, no bare dots, no trailing zeros
        // beyond the precision.
        for refused in ["012", "1.", ".5", "+1", "1.5000", "0.000", "1,5", " 1"] {
            assert!(parse_tonnes(refused).is_err(), "{refused}");
        }
        for accepted in ["0.1", "0.01", "0.001", "0.010", "1.000", "7"] {
            assert!(parse_tonnes(accepted).is_ok(), "{accepted}");
        }
    }

    #[test]
    fn yuan_parse_exactly_and_may_be_negative() {
        assert_eq!(parse_yuan("-35.00"), Ok(-3500));
        assert_eq!(parse_yuan("33.33"), Ok(3333));
        assert_eq!(parse_yuan("0"), Ok(0));
        assert_eq!(parse_yuan("-35.001"), Err(AmountError::TooPrecise(2)));
        assert_eq!(parse_yuan("-35.000"), Err(AmountError::TooPrecise(2)));
        assert_eq!(parse_yuan("-999999.99"), Ok(-MAX_FEN_PER_T));
        assert_eq!(parse_yuan("1000000"), Err(AmountError::OutOfRange));
        assert_eq!(parse_yuan("-0"), Ok(0));
    }

    #[test]
    fn formats_round_trip() {
        assert_eq!(format_tonnes(1_250_500), "1250.5");
        assert_eq!(format_tonnes(1), "0.001");
        assert_eq!(format_tonnes(1_200_000), "1200");
        assert_eq!(format_yuan(-3500), "-35.00");
        assert_eq!(format_yuan(10), "0.10");
    }

    #[test]
    fn amounts_round_half_away_from_zero() {
        // -12.50 yuan/t × 3.200 t = -40.00 yuan
        assert_eq!(amount_fen(-1250, 3200), -4000);
        // 33.33 yuan/t × 0.003 t = 0.09999 → 0.10 yuan
        assert_eq!(amount_fen(3333, 3), 10);
        assert_eq!(amount_fen(1, 500), 1);
        assert_eq!(amount_fen(-1, 500), -1);
        assert_eq!(amount_fen(1, 499), 0);
        // The largest deal fits in i64: 999 999.99 yuan/t × 9 999 999.999 t.
        assert_eq!(amount_fen(MAX_FEN_PER_T, MAX_KG), 999_999_989_900_000);
    }
}
