package emulate

// Header values that never change. Responses share these slices, so setting
// them allocates nothing; net/http only reads them. Keys are written in
// canonical form throughout the package for the same reason: Header.Set
// allocates to canonicalise any other spelling.
var (
	jsonContent        = []string{"application/json"}
	sseContent         = []string{"text/event-stream; charset=utf-8"}
	noCache            = []string{"no-cache"}
	openaiVersion      = []string{"2020-10-01"}
	openaiOrganization = []string{"switchyard-emulator"}
	azureRegion        = []string{"East US"}
)
