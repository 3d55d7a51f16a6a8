// gen.go: the differential corpus of notification templates.
//
// Templates come from the grammar of text/template (random but seeded),
// with Go 1.19's own verdict for each: the output, or "refused" when
// Parse or Execute fails.  The data is a struct with one string field
// per entry of notify_fields in src/cfg.c, read from there, so that a
// field added to the program is in the next corpus.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"text/template"
)

var (
	cfgPath = flag.String("cfg", "src/cfg.c", "where notify_fields is")
	count   = flag.Int("n", 2400, "how many templates")
	seed    = flag.Int64("seed", 17, "random seed")
)

// Values: quotes, backslashes, HTML and JS specials, Unicode (printable
// and not), newlines, control characters, invalid UTF-8, empty strings;
// no NUL, as the program's values are C strings.
var valuePool = []string{
	"", "blog", "me/blog:v1.12", "a \"quoted\" word", `back\slash`,
	"<b>&amp;'x'</b>", "line1\nline2\r\n", "tab\there", "héllo wörld",
	"日本語", "rocket 🚀", "nbsp\u00a0sep\u2028", "del\x7f\x01ctl", "bad\xffutf8",
	"%s %d %v %%", "{{.Artifact}}", "a=b&c=d e+f", "0", "false", " ",
	"update completed", "registry.example.com/team/app:v1.2@sha256:" +
		"0123456789abcdef", "ünïcödé ✓", "\u200b\ufeff", "$x", "`raw`",
}

type gen struct {
	r      *rand.Rand
	fields []string
	vars   []string
	depth  int
	defs   []string
}

func (g *gen) pick(s []string) string { return s[g.r.Intn(len(s))] }
func (g *gen) chance(n int) bool      { return g.r.Intn(100) < n }

var textPool = []string{
	"", "x", "Deployed ", " to ", "\n", "  ", "{", "}", "a}b", "\t-\t",
	"é", "{\"text\": ", "\"}", "<&>", " - ", "\r\n", "%d", "$",
}

var strPool = []string{
	`"prod"`, `"blog"`, `""`, `"%s"`, `"a\"b"`, `"\n"`, `"\t\\"`,
	`"\u00e9"`, `"\x41"`, `"\101"`, `"日本"`, "`raw\\n`", "`a\rb`",
	`"\U0001F680"`, `"me/blog:v1.12"`, `"<x>"`, `"\xff"`, `"x"`,
	`"bad\q"`, `"unterminated`, "`", `"é"`,
}

var numPool = []string{
	"0", "1", "2", "3", "-1", "5", "10", "42", "255", "0x1F", "0o17",
	"017", "0b101", "1_000", "'a'", "'\\n'", "'é'", "'\\''", "-0",
	"9223372036854775807", "9223372036854775808", "1.5", "1e3", "08",
	"0x", "'ab'", "+3", "1i", "'\\u00e9'", "65", "128", "1000000",
}

// printf formats: every verb and flag for strings, integers, booleans
// and runes, plus Go's error forms.
var verbs = []string{"v", "s", "q", "x", "X", "d", "c", "U", "b", "o", "O",
	"t", "T", "p", "e", "%", "z", "é"}
var flagPool = []string{"", "", "", "-", "+", "#", " ", "0", "-0", "+#",
	"# ", "0+", "5", "-8", "08", ".2", "6.3", ".0", "*", "[1]", "[2]",
	"[3]", "-5.1", "[1]*", ".*", "10", "+q", "1000001"}

func (g *gen) format() string {
	var b strings.Builder
	b.WriteByte('"')
	n := 1 + g.r.Intn(3)
	for i := 0; i < n; i++ {
		if g.chance(40) {
			b.WriteString(g.pick([]string{"x=", " ", "[", "] ", "é",
				"\\n", ":"}))
		}
		b.WriteByte('%')
		f := g.pick(flagPool)
		if f == "+q" {
			b.WriteString("+q")
			continue
		}
		b.WriteString(f)
		b.WriteString(g.pick(verbs))
	}
	if g.chance(5) {
		b.WriteByte('%')
	}
	b.WriteByte('"')
	return b.String()
}

func (g *gen) field() string {
	if g.chance(2) {
		return "." + g.pick([]string{"Nope", "artifact", "Artifact.Len",
			"X"})
	}
	return "." + g.pick(g.fields)
}

func (g *gen) operand() string {
	g.depth++
	defer func() { g.depth-- }()
	switch k := g.r.Intn(20); {
	case k < 6:
		return g.field()
	case k < 8:
		return g.pick(strPool)
	case k < 10:
		return g.pick(numPool)
	case k == 10:
		return g.pick([]string{"true", "false", "nil"})
	case k == 11:
		return g.pick([]string{".", "$", "$." + g.pick(g.fields)})
	case k == 12 && len(g.vars) > 0:
		return g.pick(g.vars)
	case k < 16 && g.depth < 4:
		return "(" + g.pipeline(false) + ")"
	case k == 16 && g.depth < 4:
		return "(" + g.pipeline(false) + ")." + g.pick(g.fields)
	default:
		return g.field()
	}
}

var funcs = []string{"and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge",
	"len", "index", "slice", "print", "printf", "println", "html", "js",
	"urlquery", "printf", "printf", "js", "eq", "index", "slice"}

// typed gives an argument of the kind a builtin takes, most of the time.
func (g *gen) typed(fn string, i int) string {
	if g.chance(20) {
		return g.operand()
	}
	switch fn {
	case "eq", "ne", "lt", "le", "gt", "ge":
		return g.pick([]string{g.field(), g.field(), `"prod"`, `"blog"`,
			`""`, "(len " + g.field() + ")", "3"})
	case "len", "html", "js", "urlquery":
		return g.field()
	case "index", "slice":
		if i == 0 {
			return g.field()
		}
		return g.pick([]string{"0", "1", "2", "3", "(len " + g.field() +
			")"})
	}
	return g.operand()
}

func (g *gen) command() string {
	if g.chance(35) || g.depth >= 4 {
		return g.operand()
	}
	fn := g.pick(funcs)
	if g.chance(2) {
		fn = g.pick([]string{"nosuchfunc", "call"})
	}
	n := g.r.Intn(4)
	switch fn {
	case "eq", "ne", "lt", "le", "gt", "ge":
		n = 2
		if g.chance(15) {
			n = 1 + g.r.Intn(3)
		}
	case "not", "len":
		n = 1
		if g.chance(10) {
			n = 2
		}
	}
	parts := []string{fn}
	if fn == "printf" && g.chance(85) {
		parts = append(parts, g.format())
		n = g.r.Intn(4)
	}
	for i := 0; i < n; i++ {
		parts = append(parts, g.typed(fn, i))
	}
	return strings.Join(parts, g.pick([]string{" ", " ", "  "}))
}

func (g *gen) pipeline(decl bool) string {
	var b strings.Builder
	if decl && g.chance(20) {
		v := fmt.Sprintf("$v%d", g.r.Intn(3))
		op := " := "
		if g.chance(20) {
			op = " = "
		}
		b.WriteString(v + op)
		g.vars = append(g.vars, v)
	}
	b.WriteString(g.command())
	for g.chance(25) {
		b.WriteString(g.pick([]string{" | ", "|", " |"}))
		b.WriteString(g.command())
	}
	return b.String()
}

func (g *gen) open() string {
	if g.chance(15) {
		return "{{- "
	}
	return g.pick([]string{"{{", "{{", "{{ "})
}

func (g *gen) close() string {
	if g.chance(15) {
		return " -}}"
	}
	return g.pick([]string{"}}", "}}", " }}"})
}

func (g *gen) list(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(g.item())
	}
	return b.String()
}

func (g *gen) control(kw string) string {
	vars := len(g.vars)
	defer func() { g.vars = g.vars[:vars] }()
	s := g.open() + kw + " " + g.pipeline(true) + g.close() +
		g.list(1+g.r.Intn(2))
	if g.chance(40) {
		if kw == "if" && g.chance(40) {
			s += g.open() + "else if " + g.pipeline(false) + g.close() +
				g.list(1)
		}
		s += g.open() + "else" + g.close() + g.list(1)
	}
	return s + g.open() + "end" + g.close()
}

func (g *gen) item() string {
	g.depth++
	defer func() { g.depth-- }()
	switch k := g.r.Intn(24); {
	case k < 5:
		return g.pick(textPool)
	case k < 13 || g.depth > 3:
		return g.open() + g.pipeline(true) + g.close()
	case k < 16:
		return g.control("if")
	case k < 18:
		return g.control("with")
	case k == 18 && g.chance(40):
		return g.control("range")
	case k == 19 && len(g.defs) > 0:
		s := g.open() + "template " + fmt.Sprintf("%q", g.pick(g.defs))
		if g.chance(70) {
			s += " " + g.pipeline(false)
		}
		return s + g.close()
	case k == 20:
		name := fmt.Sprintf("b%d", g.r.Intn(3))
		return g.open() + "block " + fmt.Sprintf("%q", name) + " " +
			g.pipeline(false) + g.close() + g.list(1) + "{{end}}"
	case k == 21:
		return g.pick([]string{"{{/* c */}}", "{{- /* c */ -}}",
			"{{/* {{.Nope}} */}}", "{{/*x*/ }}", "{{/* open"})
	default:
		return g.open() + g.pipeline(true) + g.close()
	}
}

// mutate makes a valid-looking template invalid in one of Go's ways.
func (g *gen) mutate(s string) string {
	if len(s) == 0 {
		return "{{"
	}
	i := g.r.Intn(len(s))
	switch g.r.Intn(4) {
	case 0:
		return s[:i] + s[i+1:]
	case 1:
		return s[:i] + g.pick([]string{"{{", "}}", "(", ")", "|", "\"",
			"$", ".", "-", " ", "end", ":="}) + s[i:]
	case 2:
		return s + "{{end}}"
	default:
		return s[:i]
	}
}

func (g *gen) template() string {
	g.vars = nil
	g.defs = nil
	var b strings.Builder
	if g.chance(20) {
		name := fmt.Sprintf("d%d", g.r.Intn(3))
		g.defs = append(g.defs, name)
		b.WriteString("{{define \"" + name + "\"}}" + g.list(1+g.r.Intn(2)) +
			"{{end}}")
	}
	b.WriteString(g.list(1 + g.r.Intn(4)))
	s := b.String()
	if g.chance(10) {
		s = g.mutate(s)
	}
	return s
}

func readFields(path string) ([]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	body := regexp.MustCompile(`(?s)notify_fields\[[^]]*\] = \{(.*?)\};`).
		FindSubmatch(src)
	if body == nil {
		return nil, fmt.Errorf("%s: no notify_fields table", path)
	}
	var out []string
	for _, m := range regexp.MustCompile(`\[NF_\w+\] = "(\w+)"`).
		FindAllSubmatch(body[1], -1) {
		out = append(out, string(m[1]))
	}
	return out, nil
}

// run is Go's verdict: the output, or ok false when Parse or Execute
// fails (or the output is beyond what a message may be).
func run(src string, data reflect.Value) (string, bool) {
	t, err := template.New("body").Parse(src)
	if err != nil {
		return "", false
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data.Interface()); err != nil {
		return "", false
	}
	if buf.Len() > 65535 {
		return "", false
	}
	return buf.String(), true
}

func b64(s string) string {
	if s == "" {
		return "-"
	}
	return base64.StdEncoding.EncodeToString([]byte(s))
}

func generate(w io.Writer) error {
	fields, err := readFields(*cfgPath)
	if err != nil {
		return err
	}
	var sf []reflect.StructField
	for _, f := range fields {
		sf = append(sf, reflect.StructField{Name: f,
			Type: reflect.TypeOf("")})
	}
	typ := reflect.StructOf(sf)
	g := &gen{r: rand.New(rand.NewSource(*seed)), fields: fields}
	out := bufio.NewWriter(w)
	fmt.Fprintf(out, "# Differential corpus of templates: Go %s's verdict "+
		"for each.\n# Generated by tests/gotmpl (make template-corpus); "+
		"do not edit.\n# fields NAME...; values SET B64...; "+
		"then SET B64-TEMPLATE ok B64-OUTPUT | refused\n", "1.19")
	fmt.Fprintf(out, "fields %s\n", strings.Join(fields, " "))
	const nsets = 6
	sets := make([]reflect.Value, nsets)
	for s := 0; s < nsets; s++ {
		v := reflect.New(typ).Elem()
		line := []string{"values", fmt.Sprint(s)}
		for i := range fields {
			val := valuePool[(s*7+i*3+s*i)%len(valuePool)]
			if s == 0 {
				val = valuePool[(i+1)%4+1]
			}
			v.Field(i).SetString(val)
			line = append(line, b64(val))
		}
		sets[s] = v
		fmt.Fprintln(out, strings.Join(line, " "))
	}
	seen := map[string]bool{}
	all := append(append([]string{}, seeds...), nil...)
	for len(all) < *count {
		if t := g.template(); !seen[t] && len(t) < 400 {
			seen[t] = true
			all = append(all, t)
		}
	}
	for i, t := range all {
		set := i % nsets
		res, ok := run(t, sets[set])
		if ok {
			fmt.Fprintf(out, "%d %s ok %s\n", set, b64(t), b64(res))
		} else {
			fmt.Fprintf(out, "%d %s refused\n", set, b64(t))
		}
	}
	return out.Flush()
}

// writeFuzz puts every 8th template of the corpus (valid and not) into
// dir as a fuzz seed named by its hash, so the template fuzz target
// starts from the grammar.
func writeFuzz(dir string) error {
	fields, err := readFields(*cfgPath)
	if err != nil {
		return err
	}
	g := &gen{r: rand.New(rand.NewSource(*seed)), fields: fields}
	all := append([]string{}, seeds...)
	for len(all) < *count {
		all = append(all, g.template())
	}
	for i := 0; i < len(all); i += 8 {
		sum := sha1.Sum([]byte(all[i]))
		name := filepath.Join(dir, "gen-"+hex.EncodeToString(sum[:8]))
		if err := os.WriteFile(name, []byte(all[i]), 0o644); err != nil {
			return err
		}
	}
	return nil
}
