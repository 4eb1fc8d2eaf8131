package model

import (
	"strconv"
	"strings"
)

// JoinPath appends an object key to an attribute path. Keys that are not
// plain identifiers are quoted: tags["kubernetes.io/cluster/x"].
func JoinPath(parent, key string) string {
	if !plainKey(key) {
		seg := "[" + strconv.Quote(key) + "]"
		return parent + seg
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// IndexPath appends a list index to an attribute path: ingress[0].
func IndexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// PathHasPrefix reports whether path equals prefix or lies below it
// (prefix "ingress" matches "ingress[0].cidr_blocks" and "ingress.x").
func PathHasPrefix(path, prefix string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	if len(path) == len(prefix) {
		return true
	}
	c := path[len(prefix)]
	return c == '.' || c == '['
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		switch {
		case r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
