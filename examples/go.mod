module github.com/stacklens/omen/examples

go 1.26

require github.com/stacklens/omen v0.0.0

replace github.com/stacklens/omen => ../
