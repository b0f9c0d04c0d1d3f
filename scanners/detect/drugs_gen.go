//go:build ignore

// drugs_gen writes drugs.txt, the generic drug names the medication detector
// knows, from the Products.txt file of the FDA's Drugs@FDA data files (a work
// of the US government, in the public domain):
//
//	go run drugs_gen.go Products.txt > drugs.txt
//
// The drugs.txt shipped was made from the July 2019 Drugs@FDA files as
// copied in the openFDA repository (github.com/FDA/openfda, CC0 1.0), file
// openfda/drugsfda/tests/drugsatfda.zip at commit
// 2c152208aaa02323696d904e94a1d114e66247ec. The current files are
// published by the FDA as drugsatfda.zip on its Drugs@FDA download page.
//
// It takes the ActiveIngredient column, splits combinations at ';', drops
// the salt and ester words of each ingredient ("sumatriptan succinate" is
// "sumatriptan"), keeps "X acid" as a phrase and otherwise the first word,
// and leaves out radioisotopes, elements, minerals, excipients and words of
// everyday English or chemistry (the notDrugs list below), which would make
// every log that mentions them look like a prescription.
package main

import (
	"bufio"
	"fmt"
	"log"
	"os"
	"regexp"
	"slices"
	"strings"
)

// salts are the salt, ester and form words after a base name.
var salts = set(`hydrochloride hcl dihydrochloride trihydrochloride hydrobromide hydroiodide
sodium disodium trisodium potassium dipotassium calcium magnesium zinc aluminum bismuth ammonium
sulfate bisulfate hemisulfate sulfite maleate dimaleate mesylate dimesylate besylate tartrate
bitartrate acetate diacetate triacetate citrate phosphate diphosphate fumarate hemifumarate
succinate bromide chloride iodide nitrate mononitrate lactate gluconate malate napsylate pamoate
propionate dipropionate valerate benzoate tosylate tromethamine meglumine dimeglumine hydrate
monohydrate dihydrate trihydrate hemihydrate sesquihydrate tetrahydrate pentahydrate hexahydrate
heptahydrate anhydrous hyclate decanoate enanthate cypionate undecanoate palmitate stearate
estolate ethylsuccinate lactobionate medoxomil cilexetil axetil pivoxil dipivoxil proxetil mofetil
olamine erbumine lysine arginine recombinant human micronized usp nf edisylate mandelate oxalate
salicylate xinafoate furoate fosamil embonate teoclate camsylate esylate isethionate carbonate
bicarbonate oxide hydroxide monosodium`)

// notDrugs are names in the FDA file that are also words of everyday
// English, chemistry or computing, or qualifiers rather than drugs.
var notDrugs = set(`acetic acid acids albumin alcohol amino ammonia arsenic barium benzoyl benzyl
beta betaine bismuth calcium carbon cellulose cetyl choline chromic citric acid cobalt conjugated
copper cupric dextrose edetate ethanolamine ethinyl ethiodized ethyl evans ferric ferrous fish
fluorescein gallium gentian glucagon-like gluconolactone glycerin glycerol glycine helium hydrogen
hydroquinone hydroxypropyl indium intrinsic inulin invert iodine iron krypton lactic acid lipase
magnesium manganese medical medium menthol methyl methylene nitric nitrious nitrogen nitrous olive
oxygen pentetate petrolatum phenyl phosphoric acid polyethylene polytetrafluoroethylene porcine
potassium propiolactone protein purified radium repository safflower selenium silver sodium
sorbitol soybean sterile strontium sulfur talc technetium titanium triple trypan uracil urea
uridine verard vitamin xenon xylose rose simethicone-cellulose l-glutamine lutetium rubidium samarium thallous`)

// phrases of notDrugs with a space.
var notDrugPhrases = []string{"acetic acid", "citric acid", "lactic acid", "phosphoric acid",
	"selenious acid", "tannic acid", "tartaric acid"}

func set(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

var (
	nameRE      = regexp.MustCompile(`^[a-z]{3}[a-z-]*[a-z]( acid)?$`)
	biosimilar  = regexp.MustCompile(`^([a-z]{6,})-[a-z]{4}$`) // adalimumab-atto
	hasDigit    = regexp.MustCompile(`[0-9]`)
	minNameSize = 4
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: go run drugs_gen.go Products.txt > drugs.txt")
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	for _, p := range notDrugPhrases {
		notDrugs[p] = true
	}
	names := map[string]bool{}
	sc := bufio.NewScanner(f)
	col := -1
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if col < 0 {
			col = slices.Index(cols, "ActiveIngredient")
			if col < 0 {
				log.Fatal("no ActiveIngredient column")
			}
			continue
		}
		if col >= len(cols) {
			continue
		}
		for _, ing := range strings.Split(strings.ToLower(cols[col]), ";") {
			if n := baseName(ing, salts); n != "" && !notDrugs[n] {
				names[n] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	slices.Sort(out)
	w := bufio.NewWriter(os.Stdout)
	for _, n := range out {
		fmt.Fprintln(w, n)
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
}

// baseName is the generic name of one ingredient, or "".
func baseName(ing string, salts map[string]bool) string {
	var words []string
	for _, w := range strings.Fields(strings.ReplaceAll(ing, ",", " ")) {
		if !hasDigit.MatchString(w) { // radioisotopes: "f-18", "co-57"
			words = append(words, w)
		}
	}
	for len(words) > 0 && salts[words[len(words)-1]] {
		words = words[:len(words)-1]
	}
	if len(words) == 0 || len(words) > 3 {
		return ""
	}
	name := words[0]
	if len(words) >= 2 && words[1] == "acid" {
		name += " acid"
	}
	if m := biosimilar.FindStringSubmatch(name); m != nil {
		name = m[1]
	}
	if len(name) < minNameSize || !nameRE.MatchString(name) {
		return ""
	}
	return name
}
