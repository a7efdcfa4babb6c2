package backfill

import (
	"fmt"
	"html/template"
	"os"
	"sort"
	"strings"
)

// bar is one bar of a chart.
type bar struct {
	Label string
	N     int
}

// chart draws bars as an inline SVG: the report is one file that opens
// anywhere, with nothing to fetch.
func chart(bars []bar) template.HTML {
	if len(bars) == 0 {
		return template.HTML(`<p class="none">none</p>`)
	}
	const rowH, labelW, barW = 22, 180, 420
	most := 1
	for _, b := range bars {
		most = max(most, b.N)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, labelW+barW+80, rowH*len(bars)+4)
	for i, b := range bars {
		y := i*rowH + 2
		w := max(1, b.N*barW/most)
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" font-size="12">%s</text>`, labelW-6, y+15, template.HTMLEscapeString(b.Label))
		fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%d" height="%d" fill="#2a7f62"/>`, labelW, y+3, w, rowH-6)
		fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="12">%d</text>`, labelW+w+6, y+15, b.N)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// bars sorts counts, largest first, keeping the top n and adding up the
// rest as "other".
func bars(m map[string]int, n int) []bar {
	out := make([]bar, 0, len(m))
	for k, v := range m {
		if k == "" {
			k = "(none)"
		}
		out = append(out, bar{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Label < out[j].Label
	})
	if len(out) > n {
		rest := 0
		for _, b := range out[n:] {
			rest += b.N
		}
		out = append(out[:n], bar{"other", rest})
	}
	return out
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"chart": chart, "bars": bars,
	"pct": func(a, b int) string {
		if b == 0 {
			return "0"
		}
		return fmt.Sprintf("%.2f", 100*float64(a)/float64(b))
	},
	"score": func(f float64) string { return fmt.Sprintf("%.1f", f) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ekjon backfill report</title>
<style>
body{font-family:"Noto Sans Bengali","Noto Sans",system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;font-size:.9em;vertical-align:top}
th{background:#f3f3f3}.n{text-align:right}.tot td{font-size:1.1em}.pair{margin:1em 0;padding:.5em;border:1px solid #ccc}
.none{color:#888}.small{font-size:.8em;color:#555}
</style></head><body>
<h1>ekjon backfill report</h1>
<p class="small">Files: {{range .Files}}{{.}} {{end}}</p>
<h2>Totals</h2>
<table class="tot">
<tr><th>records</th><td class="n">{{.Records}}</td></tr>
<tr><th>persons (records linked by identifier or FUZZY_PERSON)</th><td class="n">{{.Persons}}</td></tr>
<tr><th>records blocked or held as another record's person</th><td class="n">{{.Duplicates}} ({{pct .Duplicates .Records}} %)</td></tr>
<tr><th>records admitted with a possible match, for a reviewer to look at</th><td class="n">{{.Possible}}</td></tr>
<tr><th>rejected (see the rejects CSV)</th><td class="n">{{.Rejected}}</td></tr>
{{range $a, $n := .ByAction}}<tr><th>{{$a}}</th><td class="n">{{$n}}</td></tr>{{end}}
</table>
<h2>Matches by kind</h2>{{chart (bars .ByKind 10)}}
<h2>Every rule raised</h2>{{chart (bars .ByRule 20)}}
<h2>Duplicates (blocked or held) by programme</h2>{{chart (bars .ByProgramme 20)}}
<h2>Duplicates (blocked or held) by district</h2>{{chart (bars .ByDistrict 25)}}
<h2>Largest clusters</h2>
{{range .Clusters}}<h3>{{.PersonID}}: {{.Size}} records</h3>
<table><tr><th>record</th><th>programme</th><th>decision</th><th>name</th><th>father</th><th>dob</th><th>NID</th><th>district</th></tr>
{{range .Members}}<tr><td>{{.RecordID}}</td><td>{{.Programme}}</td><td>{{.Action}} {{.Rules}}</td><td>{{.NameBN}} {{.NameEN}}</td><td>{{.Father}}</td><td>{{.DOB}}</td><td>{{.NID}}</td><td>{{.District}}</td></tr>{{end}}
</table>{{else}}<p class="none">no person has two records</p>{{end}}
<h2>Sample pairs</h2>
{{range .Pairs}}<div class="pair"><b>{{.Rule}}</b> → {{.Action}}{{if .Score}}, score {{score .Score}} bits{{end}}
<table><tr><th></th><th>record</th><th>matched record</th></tr>
<tr><th>record id</th><td>{{.A.RecordID}}</td><td>{{.B.RecordID}}</td></tr>
<tr><th>programme</th><td>{{.A.Programme}}</td><td>{{.B.Programme}}</td></tr>
<tr><th>name (bn)</th><td>{{.A.NameBN}}</td><td>{{.B.NameBN}}</td></tr>
<tr><th>name (en)</th><td>{{.A.NameEN}}</td><td>{{.B.NameEN}}</td></tr>
<tr><th>father</th><td>{{.A.Father}}</td><td>{{.B.Father}}</td></tr>
<tr><th>mother</th><td>{{.A.Mother}}</td><td>{{.B.Mother}}</td></tr>
<tr><th>spouse</th><td>{{.A.Spouse}}</td><td>{{.B.Spouse}}</td></tr>
<tr><th>dob, gender</th><td>{{.A.DOB}} {{.A.Gender}}</td><td>{{.B.DOB}} {{.B.Gender}}</td></tr>
<tr><th>NID</th><td>{{.A.NID}}</td><td>{{.B.NID}}</td></tr>
<tr><th>phone</th><td>{{.A.Phone}}</td><td>{{.B.Phone}}</td></tr>
<tr><th>place</th><td>{{.A.District}} / {{.A.Upazila}} / {{.A.Village}}</td><td>{{.B.District}} / {{.B.Upazila}} / {{.B.Village}}</td></tr>
</table>
{{if .Explanation}}<table><tr><th>field</th><th>level</th><th>bits</th></tr>{{range .Explanation}}<tr><td>{{.Field}}</td><td>{{.Level}}</td><td class="n">{{score .Weight}}</td></tr>{{end}}</table>{{end}}
</div>{{else}}<p class="none">no duplicates</p>{{end}}
</body></html>
`))

func writeReport(path string, s *Summary) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := reportTmpl.Execute(f, s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
