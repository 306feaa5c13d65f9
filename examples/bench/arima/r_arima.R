# Times R's stats::arima (or forecast::auto.arima) on one series for examples/bench/arima.
# Usage: Rscript r_arima.R SERIES.csv p d q P D Q m mean auto reps
# auto.arima takes the file's columns other than y as regressors (xreg).
# Prints one JSON object: the model, its log-likelihood and the median fit time in ms.
suppressMessages(library(forecast))
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], na.strings = c("NA", ""))
y <- d$y
X <- if (ncol(d) > 1) as.matrix(d[setdiff(names(d), "y")]) else NULL
o <- as.integer(a[2:8]); mean <- a[9] == "1"; auto <- a[10] == "1"; reps <- as.integer(a[11])
x <- ts(y, frequency = o[7])
fit1 <- function() {
  if (auto) auto.arima(x, xreg = X)
  else arima(x, order = o[1:3], seasonal = list(order = o[4:6], period = o[7]), include.mean = mean)
}
times <- numeric(reps)
for (i in seq_len(reps)) { t0 <- proc.time()[["elapsed"]]; f <- fit1(); times[i] <- proc.time()[["elapsed"]] - t0 }
cat(sprintf('{"loglik": %.10g, "ms": %.6g, "order": "%s"}\n', f$loglik, 1000 * median(times),
            paste(c(f$arma[c(1, 6, 2)], f$arma[c(3, 7, 4)]), collapse = ",")))
