package route

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLeavesStayLeaves: routing takes costs from the settlement point and
// keeps no books of its own, so it must not depend on the books or the store.
func TestLeavesStayLeaves(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/internal/books", "/internal/store", "/internal/api", "/internal/gateway"} {
			if strings.HasSuffix(dep, banned) || strings.Contains(dep, banned+"/") {
				t.Errorf("internal/route depends on %s", dep)
			}
		}
	}
}
