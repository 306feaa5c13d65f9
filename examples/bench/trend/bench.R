# R side of the trend benchmark (run by main.go when Rscript is present).
# Usage: Rscript bench.R DIR — reads DIR/hourly.csv, times stats::stl and
# forecast::mstl (median of repeated runs) and writes DIR/r.json.
suppressMessages({ library(forecast); library(jsonlite) })
d <- commandArgs(trailingOnly = TRUE)[1]
y <- read.csv(file.path(d, "hourly.csv"))$y
timed <- function(f, repeats) {
  times <- numeric(repeats)
  for (i in seq_len(repeats)) {
    t0 <- proc.time()[["elapsed"]]
    out <- f()
    times[i] <- proc.time()[["elapsed"]] - t0
  }
  list(out = out, seconds = median(times))
}
s <- timed(function() stl(ts(y, frequency = 24), s.window = 11), 20)
r <- timed(function() stl(ts(y, frequency = 24), s.window = 11, robust = TRUE), 5)
m <- timed(function() mstl(msts(y, seasonal.periods = c(24, 168))), 5)
out <- list(
  stl = list(seconds = s$seconds, trend = as.numeric(s$out$time.series[, "trend"]),
             seasonal = as.numeric(s$out$time.series[, "seasonal"])),
  stl_robust = list(seconds = r$seconds, trend = as.numeric(r$out$time.series[, "trend"]),
                    weights = r$out$weights),
  mstl = list(seconds = m$seconds, trend = as.numeric(m$out[, "Trend"]),
              seasonal24 = as.numeric(m$out[, "Seasonal24"]), seasonal168 = as.numeric(m$out[, "Seasonal168"])))
writeLines(toJSON(out, digits = NA), file.path(d, "r.json"))
