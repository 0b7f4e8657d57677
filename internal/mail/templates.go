package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
)

// Each template is one file per language, templates/<name>.<lang>.tmpl,
// defining three blocks: "subject" and "text" (plain text) and "html".
// The file is parsed twice: as text for the first two, as HTML (with
// contextual escaping) for the third.
//
//go:embed templates/*.tmpl
var templateFS embed.FS

type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// templates maps "<name>.<lang>" to its parsed set.
var templates = mustLoadTemplates()

func mustLoadTemplates() map[string]templateSet {
	files, err := fs.Glob(templateFS, "templates/*.tmpl")
	if err != nil {
		panic(err)
	}
	sets := make(map[string]templateSet, len(files))
	for _, f := range files {
		key := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".tmpl")
		sets[key] = templateSet{
			text: texttemplate.Must(texttemplate.New(key).Option("missingkey=error").ParseFS(templateFS, f)),
			html: htmltemplate.Must(htmltemplate.New(key).Option("missingkey=error").ParseFS(templateFS, f)),
		}
	}
	return sets
}

type rendered struct {
	subject, text, html string
}

func render(name, lang string, data map[string]any) (rendered, error) {
	set, ok := templates[name+"."+lang]
	if !ok {
		return rendered{}, fmt.Errorf("mail template %s.%s does not exist", name, lang)
	}
	var subject, text, html bytes.Buffer
	if err := set.text.ExecuteTemplate(&subject, "subject", data); err != nil {
		return rendered{}, err
	}
	if err := set.text.ExecuteTemplate(&text, "text", data); err != nil {
		return rendered{}, err
	}
	if err := set.html.ExecuteTemplate(&html, "html", data); err != nil {
		return rendered{}, err
	}
	return rendered{
		subject: strings.Join(strings.Fields(subject.String()), " "),
		text:    strings.TrimSpace(text.String()) + "\n",
		html:    html.String(),
	}, nil
}
