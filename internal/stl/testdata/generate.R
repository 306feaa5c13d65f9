# Reference decompositions for package stl, computed by R's stats::stl and
# forecast::mstl. Run from this directory:
#   Rscript generate.R
# Each case writes <name>.csv: the input y, then the components, every number
# printed with 17 significant digits.
suppressMessages(library(forecast))

put <- function(name, cols) {
  m <- sapply(cols, function(v) sprintf("%.17g", as.numeric(v)))
  write.table(m, paste0(name, ".csv"), sep = ",", quote = FALSE, row.names = FALSE)
}
stlcase <- function(name, x, ...) {
  f <- stl(x, ...)
  ts <- f$time.series
  put(name, list(y = x, trend = ts[, "trend"], seasonal = ts[, "seasonal"],
                 remainder = ts[, "remainder"], weights = f$weights))
}

stlcase("nottem_periodic", nottem, s.window = "periodic")
stlcase("nottem_s7", nottem, s.window = 7)
stlcase("nottem_periodic_robust", nottem, s.window = "periodic", robust = TRUE)
stlcase("co2_s13_robust", co2, s.window = 13, robust = TRUE)
stlcase("co2_custom", co2, s.window = 21, s.degree = 1, t.window = 31, l.window = 13,
        t.jump = 1, l.jump = 1, s.jump = 1, inner = 3)
air <- AirPassengers
stlcase("air_s10_even", air, s.window = 10, t.window = 20)
stlcase("air_s10_defaults", air, s.window = 10)

# forecast::mstl on a ts: a single stl fit with s.window = 11.
m <- mstl(air)
put("air_mstl", list(y = air, trend = m[, "Trend"], seasonal12 = m[, "Seasonal12"],
                     remainder = m[, "Remainder"]))

# forecast::mstl with two periods on three weeks of half-hourly electricity demand
# (periods 48 and 336).
tay <- msts(as.numeric(taylor)[1:(336 * 3)], seasonal.periods = c(48, 336))
m <- mstl(tay)
put("taylor_mstl", list(y = tay, trend = m[, "Trend"], seasonal48 = m[, "Seasonal48"],
                        seasonal336 = m[, "Seasonal336"], remainder = m[, "Remainder"]))

# forecast::mstl, periods 24 and 168 on four weeks of a seeded synthetic hourly series.
set.seed(42)
t <- 0:(24 * 7 * 4 - 1)
h <- 100 + 0.01 * t + 10 * sin(2 * pi * t / 24) + 5 * cos(2 * pi * t / 168) + rnorm(length(t))
m <- mstl(msts(h, seasonal.periods = c(24, 168)), robust = TRUE)
put("hourly_mstl_robust", list(y = h, trend = m[, "Trend"], seasonal24 = m[, "Seasonal24"],
                               seasonal168 = m[, "Seasonal168"], remainder = m[, "Remainder"]))

# A short series of period 3 (8-hour windows, as the Alerter's daily profile sees them) with
# spikes, robust and periodic: fifteen robustness passes amplify any difference of rounding.
set.seed(3)
i <- 0:73
s3 <- sin(2 * pi * i / 3) + 0.3 * rnorm(length(i)) + ifelse(i %% 29 == 5, 50, 0)
stlcase("spiky3_periodic_robust", ts(s3, frequency = 3), s.window = "periodic", robust = TRUE)
