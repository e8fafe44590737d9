package vespagen

// Word lists for synthetic people and places. Names are common given names
// and surnames combined at random; no record describes a real person, and
// every e-mail address is under a reserved .example domain.

var firstNames = []string{
	"Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur",
	"Ivy", "Leo", "Freya", "Oscar", "Lily", "Harry", "Grace", "Jack",
	"Evie", "Theo", "Ella", "Finley", "Poppy", "Archie", "Rosie", "Alfie",
	"Sophia", "Henry", "Willow", "Jacob", "Daisy", "Thomas", "Ruby", "Charlie",
	"Florence", "Isaac", "Matilda", "Ethan", "Aisha", "Yusuf", "Zara", "Ibrahim",
	"Maya", "Ravi", "Priya", "Kofi", "Amara", "Tomasz", "Zofia", "Mateo",
	"Chloe", "Samuel", "Hannah", "Joshua", "Erin", "Lucas", "Niamh", "Reuben",
}

var lastNames = []string{
	"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
	"Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
	"Hall", "Wood", "Jackson", "Clarke", "Patel", "Khan", "Lewis", "Harris",
	"Martin", "Cooper", "King", "Lee", "Baker", "Hughes", "Edwards", "Turner",
	"Hill", "Moore", "Ward", "Morris", "Price", "Bennett", "Shaw", "Ahmed",
	"Okafor", "Nowak", "Murphy", "Kelly", "Campbell", "Stewart", "Reid", "Fraser",
}

var placeHeads = []string{
	"Oak", "Elm", "Ash", "Willow", "Birch", "Beech", "Hazel", "Rowan",
	"River", "Brook", "Meadow", "Heath", "Moor", "Stone", "Kings", "Queens",
	"North", "South", "East", "West", "High", "Long", "Fair", "Green",
	"Mill", "Bridge", "Castle", "Abbey", "Priory", "Church", "Market", "Park",
}

var placeTails = []string{
	"field", "wood", "brook", "bury", "ford", "ham", "ley", "ton",
	"wick", "gate", "mead", "hurst", "dale", "combe", "worth", "stead",
}

var schoolKinds = []string{
	"Academy", "High School", "College", "Sixth Form College", "School", "Grammar School",
}

var auHeads = []string{"Wattle", "Banksia", "Coolabah", "Jacaranda", "Kookaburra", "Waratah"}

var auKinds = []string{"College", "Grammar", "Secondary College", "Anglican School"}

var groups = []string{"A", "B", "C", "D", "E", "F", "G", "H"}

var courses = []string{"A Level", "A Level", "A Level", "BTEC", "IB Diploma", "T Level", "GCSE"}

var faculties = []string{"Sixth Form", "Science", "Humanities", "Arts", "Maths", "English", "Vocational"}

var genders = []string{"Female", "Male", "Female", "Male", "Non-binary", "Prefer not to say", ""}

var rrcPhrases = []string{
	"I have started a weekly revision timetable.",
	"Need to ask for help earlier when I am stuck.",
	"Reading around my subjects is going well.",
	"I want to keep my folders organised.",
	"Practice papers under timed conditions every fortnight.",
	"Attendance has improved since last term.",
	"I find it hard to stay motivated after half term.",
	"Using flashcards for key terms.",
}

var goalPhrases = []string{
	"Reach my target grade in every subject.",
	"Complete two past papers a week.",
	"Hand in all homework on time.",
	"Apply for a summer placement.",
	"Get eight hours of sleep before exams.",
	"Join a study group.",
}

var subjectNames = []string{
	"Mathematics", "Further Mathematics", "Biology", "Chemistry", "Physics",
	"English Literature", "History", "Geography", "Psychology", "Sociology",
	"Economics", "Business", "Computer Science", "Art and Design", "French",
	"Spanish", "Music", "Drama", "Physical Education", "Religious Studies",
}

var examBoards = []string{"AQA", "OCR", "Edexcel", "WJEC", "CCEA"}

var aLevelGrades = []string{"A*", "A", "B", "C", "D", "E", "U"}
