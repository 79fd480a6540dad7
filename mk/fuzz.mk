# make fuzz: run every fuzz target for FUZZTIME each, one after another
# (fuzzing a package uses every core; two at once would only halve both),
# and fail if any target fails. Targets are discovered (packages whose
# tests declare a func Fuzz..., then `go test -list '^Fuzz'`), so a new one
# is picked up without editing this.
# A failing input is written to the package's testdata/fuzz/<Target>/:
# commit it as a seed with the fix.
#   make fuzz FUZZTIME=20s
#   make fuzz FUZZPKGS=./sdk/...

FUZZTIME ?= 30s
FUZZPKGS ?= $(shell grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r -n1 dirname | sort -u)

.PHONY: fuzz
fuzz:
	@failed=""; \
	for pkg in $$($(GO) list $(FUZZPKGS)); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || failed="$$failed $$pkg.$$target"; \
		done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed"; exit 1; fi; \
	echo "fuzz: all targets passed"
