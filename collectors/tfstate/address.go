package tfstate

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// resourceAddress is the address Terraform prints for a resource
// (module.net["eu"].aws_subnet.x, data.aws_ami.y), without instance key.
func resourceAddress(mode, module, typ, name string) string {
	var b strings.Builder
	b.Grow(len(module) + len(typ) + len(name) + 7)
	if module != "" {
		b.WriteString(module)
		b.WriteByte('.')
	}
	if mode == "data" {
		b.WriteString("data.")
	}
	b.WriteString(typ)
	b.WriteByte('.')
	b.WriteString(name)
	return b.String()
}

// instanceAddress appends the instance key: [0] for count, ["a"] for
// for_each.
func instanceAddress(resource string, k indexKey) string {
	switch k.kind {
	case 'i':
		return resource + "[" + strconv.FormatInt(k.i, 10) + "]"
	case 's':
		return resource + "[" + quoteKey(k.s) + "]"
	}
	return resource
}

// quoteKey quotes a for_each key as Terraform prints it in addresses: a
// double-quoted string with \\, \", \n, \r, \t escaped, template sequences
// ${ and %{ doubled, and other non-printable runes as \uXXXX.
func quoteKey(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case (r == '$' || r == '%') && i+1 < len(s) && s[i+1] == '{':
			b.WriteRune(r)
			b.WriteRune(r)
		case r == utf8.RuneError && size == 1, !unicode.IsPrint(r):
			b.WriteString(`\u`)
			h := strconv.FormatInt(int64(r), 16)
			b.WriteString(strings.Repeat("0", max(0, 4-len(h))))
			b.WriteString(h)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// ProviderName returns the short provider name (aws) from a resource's
// provider configuration address in any of the forms states hold:
// provider["registry.terraform.io/hashicorp/aws"], with an .alias suffix,
// inside a module (module.x.provider[...]), from OpenTofu's registry, or the
// legacy provider.aws / provider.aws.alias. It returns "" when the string
// has none of these forms.
func ProviderName(config string) string {
	i := strings.LastIndex(config, "provider[")
	if i >= 0 && (i == 0 || config[i-1] == '.') {
		rest := config[i+len("provider["):]
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return ""
		}
		src, err := strconv.Unquote(q)
		if err != nil {
			return ""
		}
		if j := strings.LastIndexByte(src, '/'); j >= 0 {
			src = src[j+1:]
		}
		return src
	}
	// legacy: [module.x.]provider.aws[.alias]
	for rest := config; ; {
		j := strings.Index(rest, "provider.")
		if j < 0 {
			return ""
		}
		if j == 0 || rest[j-1] == '.' {
			name := rest[j+len("provider."):]
			if k := strings.IndexByte(name, '.'); k >= 0 {
				name = name[:k]
			}
			return name
		}
		rest = rest[j+1:]
	}
}
