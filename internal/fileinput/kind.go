package fileinput

import (
	"encoding/json"
	"fmt"
)

// JSONKind names the JSON type of a decoded value for error messages:
// "an object", "an array", "a string", "a number", "a boolean" or "null".
func JSONKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
