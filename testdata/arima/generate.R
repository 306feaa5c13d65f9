# Regenerates the extra ARIMA reference cases of package arima (run in this folder):
#   Rscript generate.R
# R 4.2.2, forecast 8.20, jsonlite. Writes the series CSVs and expected.json here.
suppressMessages({library(forecast); library(jsonlite)})

write_series <- function(name, y, xreg = NULL) {
  df <- data.frame(y = format(as.numeric(y), digits = 15, trim = TRUE))
  df$y[is.na(y)] <- "NA"
  if (!is.null(xreg)) for (j in seq_len(ncol(xreg))) df[[colnames(xreg)[j]]] <- format(xreg[, j], digits = 15, trim = TRUE)
  write.csv(df, paste0(name, ".csv"), row.names = FALSE, quote = FALSE)
  as.numeric(read.csv(paste0(name, ".csv"), na.strings = "NA")$y)
}

entry <- function(fit, call, series, freq, newxreg = NULL, h = 5) {
  k <- sum(fit$mask) + 1
  nobs <- fit$nobs
  p <- if (is.null(newxreg)) predict(fit, n.ahead = h) else predict(fit, n.ahead = h, newxreg = newxreg)
  se <- rep(0, length(fit$coef)); se[fit$mask] <- sqrt(diag(fit$var.coef))
  names(se) <- names(fit$coef)
  list(series = series, r_call = call,
       order = fit$arma[c(1, 6, 2)], seasonal = c(fit$arma[c(3, 7, 4)], freq),
       coef = as.list(fit$coef), se = as.list(se), sigma2 = fit$sigma2,
       loglik = fit$loglik, aic = fit$aic,
       aicc = fit$aic + 2 * k * (k + 1) / (nobs - k - 1), bic = fit$aic + k * (log(nobs) - 2),
       nobs = nobs,
       forecast = list(h = h, level = 95, mean = as.numeric(p$pred), se = as.numeric(p$se),
                       lower = as.numeric(p$pred - qnorm(0.975) * p$se),
                       upper = as.numeric(p$pred + qnorm(0.975) * p$se)))
}

out <- list(fixed = list(), auto = list())

# Fixed coefficient: the mean of lh fixed at 2.4.
# lh and WWWusage are used as R has them; ../shared/reference/arima holds the same values
# (lh.csv, WWWusage.csv), which the Go tests read.
lh <- as.numeric(datasets::lh)
out$fixed$lh_100_fixed_mean <- entry(arima(lh, order = c(1, 0, 0), fixed = c(NA, 2.4), transform.pars = FALSE),
  "arima(lh, order = c(1,0,0), fixed = c(NA, 2.4), transform.pars = FALSE)", "lh", 1)

# Missing values.
lhm <- as.numeric(datasets::LakeHuron); lhm[c(41, 60, 61, 62)] <- NA
lhm <- write_series("LakeHuron_missing", lhm)
out$fixed$LakeHuron_missing_200 <- entry(arima(lhm, order = c(2, 0, 0)),
  "x <- LakeHuron; x[c(41, 60, 61, 62)] <- NA; arima(x, order = c(2,0,0))", "LakeHuron_missing", 1)
usm <- as.numeric(datasets::USAccDeaths); usm[c(20, 45)] <- NA
usm <- write_series("USAccDeaths_missing", usm)
out$fixed$USAccDeaths_missing_011_011 <- entry(arima(ts(usm, frequency = 12), order = c(0, 1, 1), seasonal = c(0, 1, 1)),
  "x <- USAccDeaths; x[c(20, 45)] <- NA; arima(x, order = c(0,1,1), seasonal = c(0,1,1))", "USAccDeaths_missing", 12)

# Regressors: ARMA(1,1) errors around a mean and two regressors.
set.seed(42)
n <- 300
X <- cbind(x1 = rnorm(n), x2 = sin(seq_len(n) / 10))
e <- arima.sim(list(ar = 0.6, ma = 0.3), n = n)
yx <- 3 + 2 * X[, 1] - 1.5 * X[, 2] + e
yx <- write_series("xreg", yx, X)
newX <- cbind(x1 = c(0.5, -0.2, 1.1, 0, 0.3), x2 = sin((n + 1:5) / 10))
out$fixed$xreg_101 <- entry(arima(yx, order = c(1, 0, 1), xreg = X), "arima(y, order = c(1,0,1), xreg = cbind(x1, x2)); predict(fit, 5, newxreg = cbind(x1 = c(0.5, -0.2, 1.1, 0, 0.3), x2 = sin((300 + 1:5)/10)))",
  "xreg", 1, newxreg = newX)
out$fixed$xreg_101$newxreg <- list(x1 = newX[, 1], x2 = newX[, 2])

# Drift: forecast::Arima(WWWusage, order = c(0,1,1), include.drift = TRUE), as stats::arima with xreg = 1:n.
www <- as.numeric(datasets::WWWusage)
fd <- arima(www, order = c(0, 1, 1), xreg = cbind(drift = seq_along(www)))
out$fixed$WWWusage_011_drift <- entry(fd, "Arima(WWWusage, order = c(0,1,1), include.drift = TRUE) = arima(x, c(0,1,1), xreg = cbind(drift = 1:100)); predict(fit, 5, newxreg = 101:105)",
  "WWWusage", 1, newxreg = cbind(drift = 101:105))

# Long series: n = 10,000 from ARIMA(2,1,1).
set.seed(7)
yl <- cumsum(arima.sim(list(ar = c(0.5, -0.3), ma = 0.4), n = 10000))
yl <- write_series("long10000", yl)
out$fixed$long10000_211 <- entry(arima(yl, order = c(2, 1, 1)), "set.seed(7); y <- cumsum(arima.sim(list(ar = c(0.5,-0.3), ma = 0.4), n = 10000)); arima(y, order = c(2,1,1))", "long10000", 1)

# m = 24: n = 1,000 from (1,0,1)(1,1,1)24.
set.seed(24)
m24 <- arima.sim(list(ar = c(0.6, rep(0, 22), 0.3, -0.18), ma = c(0.4, rep(0, 22), -0.5, -0.2)), n = 976)
y24 <- diffinv(as.numeric(m24), lag = 24, xi = 10 * sin(2 * pi * (1:24) / 24))
y24 <- write_series("hourly24", y24)
out$fixed$hourly24_101_111 <- entry(arima(ts(y24, frequency = 24), order = c(1, 0, 1), seasonal = c(1, 1, 1)),
  "set.seed(24); see generate.R; arima(ts(y, frequency = 24), order = c(1,0,1), seasonal = c(1,1,1))", "hourly24", 24)

# Automatic selection on the long series and on the m = 24 series (approximation by CSS).
a1 <- auto.arima(yl)
out$auto$long10000 <- list(series = "long10000", r_call = "auto.arima(y)", order = a1$arma[c(1, 6, 2)], seasonal = c(a1$arma[c(3, 7, 4)], 1), aicc = a1$aicc, label = forecast:::arima.string(a1))
a2 <- auto.arima(ts(y24, frequency = 24))
out$auto$hourly24 <- list(series = "hourly24", r_call = "auto.arima(ts(y, frequency = 24))", order = a2$arma[c(1, 6, 2)], seasonal = c(a2$arma[c(3, 7, 4)], 24), aicc = a2$aicc, label = forecast:::arima.string(a2))

# A batch of random models and series (seed 123), every fourth with three missing values:
# arima(x, order, seasonal = list(order, period), include.mean = d + D == 0).
set.seed(123)
out$batch <- list()
specs <- list(c(1,0,0,0,0,0,1), c(0,0,2,0,0,0,1), c(2,0,2,0,0,0,1), c(1,1,1,0,0,0,1), c(0,2,2,0,0,0,1),
              c(3,1,0,0,0,0,1), c(1,0,1,1,0,1,4), c(0,1,1,0,1,1,4), c(2,0,0,1,1,0,7), c(1,1,0,0,1,1,12),
              c(0,0,1,2,0,0,4), c(1,0,0,0,1,2,6), c(4,0,1,0,0,0,1), c(0,1,3,1,0,0,12), c(2,1,2,0,0,0,1))
for (s in specs) {
  n <- sample(c(60, 120, 300), 1)
  x <- arima.sim(list(ar = if (s[1] > 0) runif(s[1], -0.3, 0.3) else NULL, ma = if (s[3] > 0) runif(s[3], -0.5, 0.5) else NULL), n = n)
  x <- ts(cumsum(rnorm(n, sd = 0.3)) * (s[2] > 0) + x + 10 * sin(2 * pi * (1:n) / s[7]) * (s[7] > 1), frequency = s[7])
  if (length(out$batch) %% 4 == 3) x[sample(n, 3)] <- NA
  x <- ts(round(as.numeric(x), 12), frequency = s[7])
  mean <- s[2] + s[5] == 0
  f <- arima(x, order = s[1:3], seasonal = list(order = s[4:6], period = s[7]), include.mean = mean)
  out$batch[[length(out$batch) + 1]] <- list(r_call = sprintf("arima(x, order = c(%d,%d,%d), seasonal = list(order = c(%d,%d,%d), period = %d), include.mean = %s)", s[1], s[2], s[3], s[4], s[5], s[6], s[7], mean),
    y = as.numeric(x), order = s[1:3], seasonal = s[4:7], include_mean = mean, coef = as.list(f$coef), sigma2 = f$sigma2, loglik = f$loglik, nobs = f$nobs)
}

# A batch of random series for auto.arima (seed 99): ARMA(1,1) noise, some integrated, some
# seasonal (m = 4, 7, 12), some with a trend.
set.seed(99)
out$auto_batch <- list()
for (i in 1:14) {
  m <- c(1, 1, 1, 4, 12, 12, 1, 4, 1, 12, 1, 7, 1, 12)[i]
  n <- sample(c(40, 80, 160, 240), 1)
  x <- arima.sim(list(ar = runif(1, -0.7, 0.7), ma = runif(1, -0.5, 0.5)), n = n)
  if (i %% 3 == 0) x <- cumsum(x)
  x <- x + 5 * sin(2 * pi * (1:n) / m) * (m > 1) + (i %% 5 == 0) * (1:n) * 0.1
  x <- ts(round(as.numeric(x), 10), frequency = m)
  a <- auto.arima(x)
  out$auto_batch[[i]] <- list(r_call = sprintf("auto.arima(ts(y, frequency = %d))", m), y = as.numeric(x),
    order = a$arma[c(1, 6, 2)], seasonal = c(a$arma[c(3, 7, 4)], m), aicc = a$aicc, label = forecast:::arima.string(a),
    coef = if (length(a$coef)) as.list(a$coef) else structure(list(), names = character(0)))
}


# The Canova–Hansen test, uroot 2.1-2's ch.test(x, type = "trigonometric") as
# forecast::nsdiffs(x, test = "ch") runs it, on series of periods 2 to 24 (seed 5): a stable
# seasonal pattern with AR(1) noise, and a wandering one (a seasonal random walk).
set.seed(5)
out$ch <- list()
for (m in c(2, 3, 4, 7, 12, 24)) for (kind in c("stable", "wandering")) {
  n <- max(10 * m, 60)
  e <- rnorm(n)
  if (kind == "stable") {
    x <- 3 * sin(2 * pi * (1:n) / m) + arima.sim(list(ar = 0.5), n = n)
  } else {
    x <- numeric(n)
    for (t in 1:n) x[t] <- (if (t > m) x[t - m] else 0) + e[t]
  }
  x <- ts(round(as.numeric(x), 10), frequency = m)
  # For m = 2 and 3 ch.test stops (its p-value surface lookup fails), and nsdiffs then takes
  # no seasonal difference: the entries keep only nsdiffs.
  r <- tryCatch(uroot::ch.test(x, type = "trigonometric"), error = function(e) NULL)
  out$ch[[length(out$ch) + 1]] <- list(
    r_call = sprintf("uroot::ch.test(ts(y, frequency = %d), type = \"trigonometric\"); nsdiffs(ts(y, frequency = %d), test = \"ch\")", m, m),
    kind = kind, m = m, y = as.numeric(x),
    statistic = if (is.null(r)) NA else unname(r$statistics["joint"]),
    pvalue = if (is.null(r)) NA else unname(r$pvalues["joint"]),
    nsdiffs = suppressWarnings(nsdiffs(x, test = "ch")))
}

auto_entry <- function(a, call, m, y = NULL, series = NULL, xreg = NULL, test = NULL) {
  k <- sum(a$mask) + 1
  se <- rep(0, length(a$coef)); se[a$mask] <- sqrt(diag(a$var.coef)); names(se) <- names(a$coef)
  e <- list(r_call = call, order = a$arma[c(1, 6, 2)], seasonal = c(a$arma[c(3, 7, 4)], m),
    aicc = a$aicc, label = forecast:::arima.string(a), loglik = a$loglik, sigma2 = a$sigma2, nobs = a$nobs,
    coef = if (length(a$coef)) as.list(a$coef) else structure(list(), names = character(0)),
    se = if (length(a$coef)) as.list(se) else structure(list(), names = character(0)))
  if (!is.null(series)) e$series <- series
  if (!is.null(y)) e$y <- as.numeric(y)
  if (!is.null(xreg)) e$xreg <- lapply(as.data.frame(xreg), as.numeric)
  if (!is.null(test)) e$seasonal_test <- test
  e
}

# auto.arima with the OCSB and Canova–Hansen seasonal tests, on R's USAccDeaths and
# AirPassengers (../shared/reference/arima holds them) and on the wandering m = 4 and m = 12
# series of out$ch.
out$auto_seasonal_test <- list()
for (test in c("ocsb", "ch")) {
  for (s in c("USAccDeaths", "AirPassengers")) {
    a <- auto.arima(get(s, envir = as.environment("package:datasets")), seasonal.test = test)
    out$auto_seasonal_test[[length(out$auto_seasonal_test) + 1]] <- auto_entry(a,
      sprintf("auto.arima(%s, seasonal.test = \"%s\")", s, test), 12, series = s, test = test)
  }
  for (ch in out$ch) if (ch$kind == "wandering" && ch$m %in% c(4, 12)) {
    a <- auto.arima(ts(ch$y, frequency = ch$m), seasonal.test = test)
    out$auto_seasonal_test[[length(out$auto_seasonal_test) + 1]] <- auto_entry(a,
      sprintf("auto.arima(ts(y, frequency = %d), seasonal.test = \"%s\") on the wandering series of ch", ch$m, test),
      ch$m, y = ch$y, test = test)
  }
}

# Regression with ARIMA errors, auto.arima(y, xreg = X) (seed 11), the y and X rounded to 10
# decimals before fitting:
#   1. ARMA(1,1) errors around 5 + 2 x1 − x2, n = 120;
#   2. a random walk with drift 0.1 plus 3 × a promotion dummy, n = 200 (CSS approximation);
#   3. monthly (m = 12) seasonal ARIMA errors plus 0.8 × temperature, n = 144;
#   4. ARMA(2,0) errors around 1 + 0.5 x, n = 100, with y missing at 17, 18 and 60;
#   5. as 1 with the non-stepwise search (stepwise = FALSE, approximation = FALSE);
#   6. AR(1) errors around 2 + 3 x with x a random walk, n = 100: y needs a difference
#      (ndiffs(y) = 1), the regression residuals do not, so d = 0;
#   7. monthly, y = 2 × temperature (a noisy annual cycle) plus ARMA(1,1) noise, n = 120: y is
#      seasonal (nsdiffs = 1), the residuals are not, so D = 0;
#   8. a random walk plus 0.5 t with the trend t as regressor, n = 300 (set.seed(1)): the
#      residuals need a difference, but it would make the regressor constant, so d = 0;
#   9. monthly, a seasonal random walk plus 5 sin(2πt/12) as regressor, n = 144 (set.seed(3)):
#      the residuals need a seasonal difference, but it would make the regressor constant, so
#      D = 0.
# The stopifnot calls check that the series do what these comments say.
set.seed(11)
out$auto_xreg <- list()
xcase <- function(y, X, m, call, ...) {
  y <- ts(round(as.numeric(y), 10), frequency = m)
  X <- round(X, 10)
  a <- auto.arima(y, xreg = X, ...)
  auto_entry(a, call, m, y = y, xreg = X)
}
n <- 120
X <- cbind(x1 = rnorm(n), x2 = cos((1:n) / 7))
y <- 5 + 2 * X[, 1] - X[, 2] + arima.sim(list(ar = 0.6, ma = 0.3), n = n)
out$auto_xreg[[1]] <- xcase(y, X, 1, "auto.arima(y, xreg = cbind(x1, x2))")
n <- 200
X2 <- cbind(promo = rbinom(n, 1, 0.2))
y2 <- 3 * X2[, 1] + cumsum(rnorm(n, 0.1))
out$auto_xreg[[2]] <- xcase(y2, X2, 1, "auto.arima(y, xreg = cbind(promo))")
n <- 144
X3 <- cbind(temp = 15 + 8 * sin(2 * pi * (1:n) / 12) + rnorm(n))
e3 <- arima.sim(list(ma = c(0.4, rep(0, 10), 0.5, 0.2)), n = n)
y3 <- 0.8 * X3[, 1] + 10 * cos(2 * pi * (1:n) / 12) + e3
out$auto_xreg[[3]] <- xcase(y3, X3, 12, "auto.arima(ts(y, frequency = 12), xreg = cbind(temp))")
n <- 100
X4 <- cbind(x = seq(-2, 2, length.out = n)^2)
y4 <- 1 + 0.5 * X4[, 1] + arima.sim(list(ar = c(0.5, 0.3)), n = n)
y4[c(17, 18, 60)] <- NA
out$auto_xreg[[4]] <- xcase(y4, X4, 1, "y[c(17, 18, 60)] <- NA; auto.arima(y, xreg = cbind(x))")
out$auto_xreg[[5]] <- xcase(y, X, 1, "auto.arima(y, xreg = cbind(x1, x2), stepwise = FALSE, approximation = FALSE)",
  stepwise = FALSE, approximation = FALSE)
n <- 100
X6 <- cbind(x = cumsum(rnorm(n)))
y6 <- 2 + 3 * X6[, 1] + arima.sim(list(ar = 0.7), n = n)
stopifnot(ndiffs(y6) == 1, ndiffs(residuals(lm(y6 ~ X6))) == 0)
out$auto_xreg[[6]] <- xcase(y6, X6, 1, "auto.arima(y, xreg = cbind(x)), x a random walk")
n <- 120
X7 <- cbind(temp = 15 + 8 * sin(2 * pi * (1:n) / 12) + rnorm(n))
y7 <- 2 * X7[, 1] + arima.sim(list(ar = 0.5, ma = 0.3), n = n)
stopifnot(nsdiffs(ts(y7, frequency = 12)) == 1, nsdiffs(ts(residuals(lm(y7 ~ X7)), frequency = 12)) == 0)
out$auto_xreg[[7]] <- xcase(y7, X7, 12, "auto.arima(ts(y, frequency = 12), xreg = cbind(temp))")
set.seed(1)
n <- 300
X8 <- cbind(trend = 1:n)
y8 <- cumsum(rnorm(n)) + 0.5 * X8[, 1]
stopifnot(ndiffs(residuals(lm(y8 ~ X8))) == 1)
out$auto_xreg[[8]] <- xcase(y8, X8, 1, "set.seed(1); y <- cumsum(rnorm(300)) + 0.5 * (1:300); auto.arima(y, xreg = cbind(trend = 1:300))")
set.seed(3)
n <- 144
X9 <- cbind(p = sin(2 * pi * (1:n) / 12))
z <- rnorm(n)
e9 <- numeric(n)
for (t in 1:n) e9[t] <- (if (t > 12) e9[t - 12] else 0) + z[t]
y9 <- 5 * X9[, 1] + e9
stopifnot(nsdiffs(ts(residuals(lm(y9 ~ X9)), frequency = 12)) == 1)
out$auto_xreg[[9]] <- xcase(y9, X9, 12, "set.seed(3); seasonal random walk + 5 sin(2*pi*t/12); auto.arima(ts(y, frequency = 12), xreg = cbind(p = sin(2*pi*t/12)))")

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), "expected.json")
