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

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), "expected.json")
