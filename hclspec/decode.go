package hclspec

import (
	"sort"

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
}

// modelRanges are the source ranges of a model's names, pointing at the
// attribute that set each one, or at the model label for defaults.
type modelRanges struct {
	name, table, namespace, keyPattern hcl.Range
}

// decode fills s from the bodies of all files.
func (s *Spec) decode(bodies []hcl.Body) hcl.Diagnostics {
	d := &decoder{spec: s, ranges: map[*Model]*modelRanges{}}
	var diags hcl.Diagnostics
	var projects, envs, models, seeds []*hcl.Block
	for _, b := range bodies {
		content, cd := b.Content(rootSchema)
		diags = append(diags, cd...)
		if content == nil {
			continue
		}
		for _, blk := range content.Blocks {
			switch blk.Type {
			case "project":
				projects = append(projects, blk)
			case "environment":
				envs = append(envs, blk)
			case "model":
				models = append(models, blk)
			case "seed":
				seeds = append(seeds, blk)
			}
		}
	}
	diags = append(diags, d.projects(projects)...)
	diags = append(diags, d.environments(envs)...)

	seen := map[string]*hcl.Block{}
	for _, blk := range models {
		name := blk.Labels[0]
		if prev, ok := seen[name]; ok {
			diags = append(diags, duplicate(labelRange(blk, 0), labelRange(prev, 0),
				"Duplicate model declaration", "A model named \""+name+"\""))
			continue
		}
		seen[name] = blk
		m, md := d.model(blk)
		diags = append(diags, md...)
		s.Models = append(s.Models, m)
	}
	sort.SliceStable(s.Models, func(i, j int) bool { return s.Models[i].Name < s.Models[j].Name })
	diags = append(diags, d.crossModel()...)

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
		if !projectNameRE.MatchString(name) || len(name) > 63 {
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
				if p != "" && !bindingRE.MatchString(p) {
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
