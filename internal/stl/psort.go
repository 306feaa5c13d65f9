package stl

// partialSort rearranges a[1..n] (a[0] is unused, so that the indices read as
// in the Fortran original) so that, ideally, a[ind[k]] holds the ind[k]-th
// smallest value for each k ≥ 1 (ind[0] is unused). It is the routine psort
// of R's stl.f, a partial quicksort after Singleton (1969), reproduced step
// for step, gotos included: R calls it with the two middle positions of an
// even-length series in decreasing order, for which it may leave a value
// other than the order statistic at one of them, and the robustness weights
// of R's stl depend on that result.
func partialSort(a []float64, ind []int) {
	n, ni := len(a)-1, len(ind)-1
	if n < 2 || ni < 1 {
		return
	}
	var indu, indl, iu, il [17]int
	var p, k, ij, l int
	var t, tt float64

	jl, ju := 1, ni
	indl[1], indu[1] = 1, ni
	i, j, m := 1, n, 1

outer:
	if i < j {
		goto partition
	}
pop:
	m--
	if m == 0 {
		return
	}
	i, j, jl, ju = il[m], iu[m], indl[m], indu[m]
	if !(jl <= ju) {
		goto pop
	}
split:
	if !(j-i > 10) {
		goto insertion
	}
partition:
	k = i
	ij = (i + j) / 2
	t = a[ij]
	if a[i] > t {
		a[ij], a[i] = a[i], t
		t = a[ij]
	}
	l = j
	if a[j] < t {
		a[ij], a[j] = a[j], t
		t = a[ij]
		if a[i] > t {
			a[ij], a[i] = a[i], t
			t = a[ij]
		}
	}
scan:
	l--
	if a[l] <= t {
		tt = a[l]
	advance:
		k++
		if !(a[k] >= t) {
			goto advance
		}
		if k > l {
			goto partitioned
		}
		a[l], a[k] = a[k], tt
	}
	goto scan
partitioned:
	indl[m], indu[m] = jl, ju
	p = m
	m++
	if l-i <= j-k {
		il[p], iu[p] = k, j
		j = l
	lowerRight:
		if jl > ju {
			goto pop
		}
		if ind[ju] > j {
			ju--
			goto lowerRight
		}
		indl[p] = ju + 1
	} else {
		il[p], iu[p] = i, l
		i = k
	raiseLeft:
		if jl > ju {
			goto pop
		}
		if ind[jl] < i {
			jl++
			goto raiseLeft
		}
		indu[p] = jl - 1
	}
	goto split
insertion:
	if i != 1 {
		i--
	step:
		i++
		if i == j {
			goto pop
		}
		t = a[i+1]
		if a[i] > t {
			k = i
		shift:
			a[k+1] = a[k]
			k--
			if !(t >= a[k]) {
				goto shift
			}
			a[k+1] = t
		}
		goto step
	}
	goto outer
}
