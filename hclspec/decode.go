package hclspec

import (
	"sort"
	"sync"

	"github.com/hashicorp/hcl/v2"
)

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "project", LabelNames: []string{"name"}},
		{Type: "environment", LabelNames: []string{"name"}},
		{Type: "model", LabelNames: []string{"name"}},
		{Type: "seed", LabelNames: []string{"model", "name"}},
	},
}

// decoder holds what decoding needs beyond the Spec: where things were
// declared, for cross-model checks and "already declared" details.
type decoder struct {
	spec   *Spec
	ranges map[*Model]*modelRanges
	mu     sync.Mutex // guards ranges while parseAll's workers merge theirs
}

// modelRanges are the source ranges of a model's names, pointing at the
// attribute that set each one, or at the model label for defaults.
type modelRanges struct {
	name, table, namespace, keyPattern hcl.Range
}

// decode fills s from the bodies of all files.
// topLevel is what one parsed piece of a file declares: its model blocks
// already decoded, its other blocks as they are, and its diagnostics.
type topLevel struct {
	projects, envs, seeds []*hcl.Block
	models                []decodedModel
	diags                 hcl.Diagnostics
}

// decodedModel is one model block decoded.
type decodedModel struct {
	model  *Model
	ranges *modelRanges
	diags  hcl.Diagnostics
}

// topLevel sorts the top-level blocks of body and decodes its models;
// diags are the piece's parse diagnostics.
func (d *decoder) topLevel(body hcl.Body, diags hcl.Diagnostics) *topLevel {
	t := &topLevel{diags: diags}
	content, cd := body.Content(rootSchema)
	t.diags = append(t.diags, cd...)
	if content == nil {
		return t
	}
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "project":
			t.projects = append(t.projects, blk)
		case "environment":
			t.envs = append(t.envs, blk)
		case "model":
			m, md := d.model(blk)
			t.models = append(t.models, decodedModel{model: m, ranges: d.ranges[m], diags: md})
		case "seed":
			t.seeds = append(t.seeds, blk)
		}
	}
	return t
}

// decode completes the Spec from the top levels of all files in order:
// projects and environments, the models (the first of a name wins),
// cross-model checks, then seeds.
func (d *decoder) decode(tops []*topLevel) hcl.Diagnostics {
	s := d.spec
	var diags hcl.Diagnostics
	var projects, envs, seeds []*hcl.Block
	var models []decodedModel
	for _, t := range tops {
		diags = append(diags, t.diags...)
		projects = append(projects, t.projects...)
		envs = append(envs, t.envs...)
		models = append(models, t.models...)
		seeds = append(seeds, t.seeds...)
	}
	s.hasProject = len(projects) > 0
	diags = append(diags, d.projects(projects)...)
	diags = append(diags, d.environments(envs)...)

	seen := map[string]*modelRanges{}
	for _, r := range models {
		name := r.model.Name
		if prev, ok := seen[name]; ok {
			diags = append(diags, duplicate(r.ranges.name, prev.name,
				"Duplicate model declaration", "A model named \""+name+"\""))
			continue
		}
		seen[name] = r.ranges
		diags = append(diags, r.diags...)
		if r.model.KV.Namespace != "" { // D1-only models have no KV side
			r.model.KV.Binding = s.Project.BindingPrefix + r.model.KV.Namespace
		}
		s.Models = append(s.Models, r.model)
	}
	sort.SliceStable(s.Models, func(i, j int) bool { return s.Models[i].Name < s.Models[j].Name })
	diags = append(diags, d.crossModel()...)
	diags = append(diags, d.gatewayBindingClashes()...)

	seenSeed := map[[2]string]*hcl.Block{}
	for _, blk := range seeds {
		key := [2]string{blk.Labels[0], blk.Labels[1]}
		if prev, ok := seenSeed[key]; ok {
			diags = append(diags, duplicate(labelRange(blk, 1), labelRange(prev, 1),
				"Duplicate seed declaration", "A seed \""+key[1]+"\" for model \""+key[0]+"\""))
			continue
		}
		seenSeed[key] = blk
		sd, dd := d.seed(blk)
		diags = append(diags, dd...)
		if sd != nil {
			s.Seeds = append(s.Seeds, sd)
		}
	}
	return diags
}

var projectSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "binding_prefix"}},
}

func (d *decoder) projects(blocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for i, blk := range blocks {
		if i > 0 {
			diags = append(diags, duplicate(blk.DefRange, blocks[0].DefRange,
				"Duplicate project block", "A project block"))
			continue
		}
		name := blk.Labels[0]
		if !isProjectName(name) || len(name) > 63 {
			diags = append(diags, errorf(labelRange(blk, 0), "Invalid project name",
				"A project name must be 1 to 63 lower-case letters, digits, \"-\" or \"_\", starting with a letter or digit; it is part of every KV namespace title."))
		} else {
			d.spec.Project.Name = name
		}
		content, cd := blk.Body.Content(projectSchema)
		diags = append(diags, cd...)
		if a, ok := content.Attributes["binding_prefix"]; ok {
			p, pd := staticString(a)
			diags = append(diags, pd...)
			if !pd.HasErrors() {
				if p != "" && !isIdent(p) {
					diags = append(diags, errorf(a.Expr.Range(), "Invalid binding prefix",
						"A binding prefix must start with a letter or underscore and hold only letters, digits and underscores, because Worker bindings are JavaScript identifiers."))
				} else {
					d.spec.Project.BindingPrefix = p
				}
			}
		}
	}
	return diags
}
