package detect

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

// medications are common drug names (generic and brand).
var medications = []string{
	"metformin", "lisinopril", "atorvastatin", "simvastatin", "rosuvastatin", "amlodipine",
	"metoprolol", "losartan", "omeprazole", "pantoprazole", "esomeprazole", "lansoprazole",
	"levothyroxine", "gabapentin", "pregabalin", "sertraline", "fluoxetine", "citalopram",
	"escitalopram", "paroxetine", "bupropion", "venlafaxine", "duloxetine", "trazodone",
	"alprazolam", "lorazepam", "clonazepam", "diazepam", "zolpidem", "hydrocodone", "oxycodone",
	"morphine", "fentanyl", "tramadol", "codeine", "methadone", "buprenorphine", "naloxone",
	"ibuprofen", "naproxen", "acetaminophen", "paracetamol", "aspirin", "prednisone",
	"prednisolone", "insulin", "warfarin", "apixaban", "rivaroxaban", "clopidogrel", "furosemide",
	"hydrochlorothiazide", "spironolactone", "carvedilol", "propranolol", "atenolol",
	"montelukast", "albuterol", "salbutamol", "fluticasone", "amoxicillin", "azithromycin",
	"doxycycline", "ciprofloxacin", "cephalexin", "penicillin", "valacyclovir", "acyclovir",
	"lamotrigine", "levetiracetam", "topiramate", "valproate", "lithium", "quetiapine",
	"aripiprazole", "risperidone", "olanzapine", "haloperidol", "methylphenidate", "adderall",
	"amphetamine", "sildenafil", "tadalafil", "finasteride", "tamsulosin", "semaglutide",
	"ozempic", "liraglutide", "empagliflozin", "sitagliptin", "glipizide", "glimepiride",
	"allopurinol", "colchicine", "methotrexate", "hydroxychloroquine", "adalimumab", "humira",
	"truvada", "tenofovir", "emtricitabine", "dolutegravir", "biktarvy", "estradiol",
	"progesterone", "testosterone", "levonorgestrel", "norethindrone", "tamoxifen", "letrozole",
	"ondansetron", "meclizine", "cyclobenzaprine", "baclofen", "tizanidine", "meloxicam",
	"diclofenac", "celecoxib", "famotidine", "xanax", "zoloft", "prozac", "lexapro",
	"wellbutrin", "ambien", "lipitor", "synthroid", "glucophage", "norvasc", "vicodin",
	"percocet", "oxycontin", "suboxone", "valium", "klonopin", "ativan", "seroquel", "abilify",
	"lyrica", "neurontin", "eliquis", "xarelto", "plavix", "coumadin", "lasix", "ventolin",
	"singulair", "epinephrine", "nitroglycerin", "digoxin",
}

// doseUnits follow a number in a dosage.
var doseUnits = []string{"mg", "mcg", "µg", "ug", "g", "ml", "units", "unit", "iu", "%"}
