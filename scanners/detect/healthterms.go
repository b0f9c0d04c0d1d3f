package detect

import (
	_ "embed"
	"strings"
)

// Health vocabularies. Conditions and ICD-10 codes count only near a
// clinical cue (or in a health field); a medication counts with a dosage or
// near a cue. Infrastructure words ("health check", "/healthz", "healthy")
// are not cues and not conditions.

// healthCues put a health term nearby in a clinical context.
var healthCues = []string{
	"patient", "patients", "diagnosis", "diagnoses", "diagnosed", "medical", "medically",
	"clinical", "clinic", "hospital", "hospitalized", "hospitalised", "prescribed", "prescription",
	"prescriptions", "medication", "medications", "meds", "treatment", "treated", "therapy",
	"symptoms", "symptom", "suffers", "suffering", "allergic", "chronic", "illness", "comorbidity",
	"comorbidities", "physician", "doctor", "oncology", "psychiatric", "health condition",
	"health conditions", "health record", "health records", "health history", "medical history",
}

// icdCues are cues after which ICD-10 codes are looked for.
var icdCues = []string{"diagnosis", "diagnoses", "diagnosed", "dx", "icd"}

// healthConditions are medical conditions. Entries in upper case must appear
// in upper case (acronyms such as HIV).
var healthConditions = []string{
	"diabetes", "type 1 diabetes", "type 2 diabetes", "prediabetes", "asthma", "hypertension",
	"hypotension", "HIV", "AIDS", "cancer", "carcinoma", "leukemia", "leukaemia", "lymphoma", "melanoma",
	"tumor", "tumour", "depression", "major depressive disorder", "anxiety", "anxiety disorder",
	"bipolar disorder", "schizophrenia", "epilepsy", "seizures", "covid-19", "hepatitis",
	"hepatitis a", "hepatitis b", "hepatitis c", "tuberculosis", "alzheimer's", "alzheimers",
	"alzheimer's disease", "dementia", "parkinson's", "parkinsons", "parkinson's disease",
	"multiple sclerosis", "COPD", "emphysema", "pneumonia", "bronchitis", "arthritis",
	"rheumatoid arthritis", "osteoarthritis", "osteoporosis", "migraine", "migraines", "obesity",
	"ADHD", "autism", "PTSD", "OCD", "stroke", "heart disease", "heart failure", "heart attack",
	"myocardial infarction", "coronary artery disease", "atrial fibrillation", "arrhythmia",
	"kidney disease", "chronic kidney disease", "renal failure", "cirrhosis", "lupus",
	"crohn's disease", "crohn's", "ulcerative colitis", "celiac disease", "coeliac disease",
	"anorexia", "bulimia", "eating disorder", "substance use disorder", "opioid use disorder",
	"alcoholism", "addiction", "hypothyroidism", "hyperthyroidism", "glaucoma", "cataracts",
	"sickle cell", "sickle cell disease", "cystic fibrosis", "hemophilia", "haemophilia",
	"chlamydia", "syphilis", "gonorrhea", "herpes", "HPV", "influenza", "sepsis", "anemia",
	"anaemia", "insomnia", "sleep apnea", "psoriasis", "eczema", "fibromyalgia", "endometriosis",
	"infertility", "pregnancy", "pregnant", "miscarriage", "concussion", "allergy", "allergies",
	"penicillin allergy", "peanut allergy", "hiv positive",
}

// drugsTxt is the vocabulary of generic drug names: one lower-case name a
// line, sorted. drugs_gen.go writes it from the active ingredients of the
// FDA's Drugs@FDA data files (public domain); see there for what it leaves
// out.
//
//go:embed drugs.txt
var drugsTxt string

// handMedications are names the FDA file does not give as generics: brand
// names and the international names of a few US generics.
var handMedications = []string{
	"paracetamol", "salbutamol", "adderall", "ozempic", "humira", "truvada", "biktarvy",
	"xanax", "zoloft", "prozac", "lexapro", "wellbutrin", "ambien", "lipitor", "synthroid",
	"glucophage", "norvasc", "vicodin", "percocet", "oxycontin", "suboxone", "valium",
	"klonopin", "ativan", "seroquel", "abilify", "lyrica", "neurontin", "eliquis", "xarelto",
	"plavix", "coumadin", "lasix", "ventolin", "singulair", "valproate", "semaglutide",
	"tirzepatide", "mounjaro", "wegovy", "imitrex", "zyrtec", "claritin", "tylenol", "advil",
	"motrin", "benadryl", "flonase", "nexium", "prilosec", "zantac", "pepcid",
	"crestor", "zocor", "januvia", "jardiance", "farxiga", "trulicity", "victoza", "lantus",
	"humalog", "novolog", "levemir", "toujeo", "keytruda", "enbrel", "remicade", "stelara",
	"dupixent", "otezla", "xeljanz", "ritalin", "concerta", "vyvanse", "strattera", "celexa",
	"paxil", "effexor", "cymbalta", "pristiq", "buspar", "desyrel", "lamictal", "depakote",
	"tegretol", "keppra", "topamax", "zyprexa", "risperdal", "latuda", "rexulti", "vraylar",
	"haldol", "narcan", "cialis", "viagra", "flomax", "proscar", "zithromax", "augmentin",
	"keflex", "valtrex", "zovirax", "tamiflu", "paxlovid", "medrol", "deltasone",
	"toprol", "lopressor", "tenormin", "zestril", "prinivil", "cozaar", "diovan", "benicar",
	"hyzaar", "aldactone", "entresto", "xifaxan", "linzess", "amitiza",
}

// weakMedications are drug names that are also words of chemistry, food or
// everyday speech ("lithium battery", "caffeine 200 mg" on a coffee label):
// they count only near a clinical cue, never on a dosage alone. Words are
// separated by one space here ("alpha tocopherol" stands for
// "alpha-tocopherol" and "folic_acid" too).
var weakMedications = map[string]bool{
	"lithium": true, "caffeine": true, "nicotine": true, "quinine": true, "niacin": true,
	"riboflavin": true, "thiamine": true, "histamine": true, "alpha tocopherol": true,
	"ascorbic acid": true, "folic acid": true, "pantothenic acid": true, "cyanocobalamin": true,
	"pyridoxine": true, "epinephrine": true, "dopamine": true,
	"adenosine": true, "atropine": true, "ketamine": true, "mannitol": true, "interferon": true,
}

// medications are the drug names the medication detector looks for: the
// FDA vocabulary and the hand list.
var medications = loadMedications()

func loadMedications() []string {
	var m []string
	for n := range strings.Lines(drugsTxt) {
		if n = strings.TrimSpace(n); n != "" {
			m = append(m, n)
		}
	}
	return append(m, handMedications...)
}

// drugSalts are the salt and release-form words that may stand between a
// drug name and its dosage.
var drugSalts = map[string]bool{
	"hydrochloride": true, "hcl": true, "sodium": true, "potassium": true, "calcium": true,
	"magnesium": true, "succinate": true, "tartrate": true, "maleate": true, "besylate": true,
	"mesylate": true, "citrate": true, "sulfate": true, "fumarate": true, "acetate": true,
	"phosphate": true, "bromide": true, "hyclate": true, "propionate": true, "carbonate": true,
	"er": true, "xr": true, "xl": true, "sr": true, "cr": true, "dr": true, "ec": true, "odt": true,
}

// doseForms after a dosage make even a weak medication name a prescription:
// "lithium carbonate 300 MG capsule", "nicotine 21 mg patch".
var doseForms = map[string]bool{
	"tablet": true, "tablets": true, "tab": true, "tabs": true, "capsule": true, "capsules": true,
	"cap": true, "caps": true, "oral": true, "injection": true, "inj": true, "patch": true,
	"po": true, "bid": true, "tid": true, "qid": true, "qd": true, "qhs": true, "prn": true,
	"daily": true, "nightly": true,
}

// doseUnits follow a number in a dosage.
var doseUnits = []string{"mg", "mcg", "µg", "ug", "g", "ml", "units", "unit", "iu", "%"}
